"""``--mode auto`` and ``--augment auto``: the training recipe picked from the data set.

On small data a linear probe on frozen pretrained features beats full fine-tuning (ants/bees,
196 training photos: see ``bench/transfer_small_data.py``) and costs one forward pass per view;
on large data (Fashion-MNIST, 54k images) fine-tuning wins, so ``auto`` keeps the fine-tuning
recipe there. Characters and digits are far from ImageNet's photos: frozen features reached 0.955
on upscaled digits (1078 training images) where fine-tuning reached 0.98, so class names that look
like characters get fine-tuning (without flips) at any size.

>>> choose_recipe(196, ["ants", "bees"]).mode
'linear'
>>> choose_recipe(54_000, ["shirt", "shoe"]).mode
'finetune'
>>> digits = choose_recipe(1_300, [str(d) for d in range(10)])
>>> digits.mode, digits.hflip
('finetune', False)
>>> looks_like_characters(["0", "1", "7"]), looks_like_characters(["ants", "bees"])
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

PROBE_VIEWS = {
    "none": "centre crop",
    "light": "centre crop and its horizontal flip",
    "standard": "centre crop and its horizontal flip",
    "strong": "centre crop, its flip and two fixed random resized crops (35-100%)",
}


@dataclass(frozen=True)
class RecipeChoice:
    """What ``auto`` resolved to, and why (printed and saved in the run summary)."""

    mode: str
    augment: str
    hflip: bool
    reason: str


def looks_like_characters(classes: list[str]) -> bool:
    """True when most class names are single characters or digits (text, digits, symbols: flips
    change their meaning)."""
    short = [c for c in classes if len(c.strip()) <= 1 or c.strip().isdigit()]
    return len(short) >= max(2, (len(classes) + 1) // 2)


def choose_recipe(
    n_train: int,
    classes: list[str],
    *,
    mode: str = "auto",
    augment: str = "auto",
    hflip: bool = True,
    linear_max: int = 2000,
) -> RecipeChoice:
    """Resolve ``auto`` mode and augmentation for ``n_train`` training images of ``classes``.

    ``mode="auto"``: ``finetune`` for character/digit classes; else ``linear`` (head on cached
    frozen features, the last epoch kept) for at most ``linear_max`` images, else ``finetune``
    (the recipe used before ``auto`` existed).
    ``augment="auto"``: ``standard`` for a linear probe (centre crop + flip views) and for
    fine-tuning; horizontal flips off when :func:`looks_like_characters`.
    """
    reasons = []
    glyphs = looks_like_characters(classes)
    if mode == "auto":
        if glyphs:
            mode = "finetune"
            reasons.append(
                "class names look like characters/digits, far from ImageNet photos: full "
                "fine-tuning"
            )
        elif n_train <= linear_max:
            mode = "linear"
            reasons.append(
                f"{n_train} training images <= {linear_max}: linear probe on frozen features "
                "(more robust than fine-tuning on small data)"
            )
        else:
            mode = "finetune"
            reasons.append(f"{n_train} training images > {linear_max}: full fine-tuning")
    else:
        reasons.append(f"mode {mode} as asked")
    if hflip and augment == "auto" and glyphs:
        hflip = False
        reasons.append("class names look like characters/digits: no horizontal flips")
    if augment == "auto":
        augment = "standard"
    return RecipeChoice(mode, augment, hflip, "; ".join(reasons))
