"""Detection data and evaluation speed: foveal vs the bare public tools, side by side, on BCCD.

    python bench/detect_data_speed.py [--data ../shared/data/detection/bccd/BCCD]

1. reading the VOC annotations: foveal.data.detection.load_detection vs an xml.etree loop;
2. COCO mAP: foveal's DetectionMetric vs pycocotools called directly (same predictions, same
   numbers);
3. training input: TorchDetectionDataset (letterbox, no augmentation) vs a bare cv2 letterbox loop;
   plus the augmented pipeline's throughput (mosaic 0.5, scale, flip, HSV) for context.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np


def best(fn, repeat: int = 3) -> tuple[float, object]:
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def bare_read(root: Path) -> int:
    n = 0
    for f in sorted((root / "Annotations").glob("*.xml")):
        r = ET.parse(f).getroot()
        for o in r.iter("object"):
            bb = o.find("bndbox")
            _ = (
                [float(bb.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")],
                o.findtext("name"),
            )
            n += 1
    return n


def fake_predictions(ds, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for im in ds:
        keep = rng.random(len(im)) > 0.15
        b = im.boxes[keep] + rng.normal(0, 3, (int(keep.sum()), 4)).astype(np.float32)
        b[:, 2:] = np.maximum(b[:, 2:], b[:, :2] + 1)
        out.append((b, rng.random(len(b)).astype(np.float32), im.class_ids[keep]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--data",
        default=str(Path(__file__).resolve().parents[2] / "shared/data/detection/bccd/BCCD"),
    )
    root = Path(ap.parse_args().data)
    from foveal.data.detection import load_detection
    from foveal.data.detection_torch import Augment, TorchDetectionDataset
    from foveal.evaluate.detection import DetectionMetric
    from foveal.results import Detections

    print(f"data: {root}")
    print(f"{'task':<44} {'foveal':>10} {'bare':>10} {'ratio':>7}")

    t_ours, ds = best(lambda: load_detection(root))
    t_bare, n = best(lambda: bare_read(root))
    assert n == ds.num_boxes
    print(
        f"{'read VOC annotations (364 xml, 4888 boxes)':<44} {t_ours * 1e3:>8.1f}ms "
        f"{t_bare * 1e3:>8.1f}ms {t_ours / t_bare:>7.2f}"
    )

    test = ds.subset("test")
    preds = fake_predictions(test)

    def ours():
        m = DetectionMetric(test.classes)
        for im, (b, s, c) in zip(test, preds, strict=True):
            m.update(Detections(b, s, c, [test.classes[k] for k in c]), im)
        return m.compute().map

    def bare():
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        images, anns, dets = [], [], []
        for i, (im, (b, s, c)) in enumerate(zip(test, preds, strict=True), 1):
            images.append({"id": i})
            for box, k in zip(im.boxes, im.class_ids, strict=True):
                w, h = float(box[2] - box[0]), float(box[3] - box[1])
                anns.append(
                    {
                        "id": len(anns) + 1,
                        "image_id": i,
                        "category_id": int(k) + 1,
                        "bbox": [float(box[0]), float(box[1]), w, h],
                        "area": w * h,
                        "iscrowd": 0,
                    }
                )
            for box, sc, k in zip(b, s, c, strict=True):
                dets.append(
                    {
                        "image_id": i,
                        "category_id": int(k) + 1,
                        "score": float(sc),
                        "bbox": [
                            float(box[0]),
                            float(box[1]),
                            float(box[2] - box[0]),
                            float(box[3] - box[1]),
                        ],
                    }
                )
        with contextlib.redirect_stdout(io.StringIO()):
            gt = COCO()
            gt.dataset = {
                "images": images,
                "annotations": anns,
                "categories": [{"id": k + 1, "name": n} for k, n in enumerate(test.classes)],
            }
            gt.createIndex()
            ev = COCOeval(gt, gt.loadRes(dets), "bbox")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        return ev.stats[0]

    t_ours, m_ours = best(ours)
    t_bare, m_bare = best(bare)
    print(
        f"{'COCO mAP, 72 images (mAP ' + f'{m_ours:.4f} vs {m_bare:.4f})':<44} {t_ours * 1e3:>8.1f}"
        f"ms {t_bare * 1e3:>8.1f}ms {t_ours / t_bare:>7.2f}"
    )

    val = ds.subset("val")
    plain = TorchDetectionDataset(val, size=416)

    def ours_load():
        for i in range(len(plain)):
            plain[i]

    def bare_load():
        import cv2
        import torch

        for im in val:
            img = cv2.imread(str(im.path))
            h, w = img.shape[:2]
            r = 416 / max(h, w)
            canvas = np.full((416, 416, 3), 114, np.uint8)
            canvas[: round(h * r), : round(w * r)] = cv2.resize(
                img, (round(w * r), round(h * r)), interpolation=cv2.INTER_AREA
            )
            torch.from_numpy(canvas.transpose(2, 0, 1).copy()).float()
            torch.from_numpy(im.boxes * r)

    t_ours, _ = best(ours_load)
    t_bare, _ = best(bare_load)
    print(
        f"{'letterboxed tensors, 87 images (img/s)':<44} {len(val) / t_ours:>10.1f} "
        f"{len(val) / t_bare:>10.1f} {t_ours / t_bare:>7.2f}"
    )
    aug = TorchDetectionDataset(val, size=416, augment=Augment(mosaic=0.5), seed=0)
    t_aug, _ = best(lambda: [aug[i] for i in range(len(aug))], repeat=1)
    print(f"{'augmented (mosaic 0.5, scale, flip, HSV) img/s':<44} {len(val) / t_aug:>10.1f}")
    print("ratio = foveal time / bare time (lower is better; 1.00 = no overhead)")


if __name__ == "__main__":
    main()
