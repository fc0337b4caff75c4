from pathlib import Path

from setuptools import find_packages, setup

setup(
    name="minigrad",
    version="0.1.0",
    description="A small, fast, correct define-by-run deep-learning framework on NumPy (CuPy on a GPU)",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["minigrad", "minigrad.*"]),
    package_data={"minigrad": ["data/*.npz"]},
    python_requires=">=3.9",
    install_requires=["numpy>=1.24", "graphviz"],
    extras_require={
        "gpu": ["cupy-cuda12x"],  # the prebuilt CuPy for CUDA 12; pick cupy-cudaXXx for another CUDA
        "test": ["pytest", "import-linter"],
        "plot": ["matplotlib"],
        # Jupyter: a kernel, and tqdm's progress widget (which needs ipywidgets)
        "notebook": ["ipykernel", "tqdm", "ipywidgets"],
        "bench": ["torch", "dezero"],  # the other columns of benchmarks/suite.py
        "onnx": ["onnx", "onnxruntime"],
    },
)
