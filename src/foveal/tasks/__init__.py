"""Tasks: one package each (``tasks/<task>/{predict,train,export}.py``), one table, one contract.

>>> from foveal.tasks import TASKS
>>> "classify" in TASKS and "ocr" in TASKS
True
"""

from foveal.tasks.table import (
    TASKS,
    TaskSpec,
    all_tasks,
    forget_predictors,
    get_task,
    register_task,
    unregister_task,
)

__all__ = [
    "TASKS",
    "TaskSpec",
    "all_tasks",
    "forget_predictors",
    "get_task",
    "register_task",
    "unregister_task",
]
