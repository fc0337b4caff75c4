from setuptools import setup, find_packages

setup(
    name="minigrad",
    version="0.1.0",
    description="A small, fast, correct define-by-run deep-learning framework on NumPy (CuPy on a GPU)",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["minigrad", "minigrad.*"]),
    package_data={"minigrad": ["data/*.npz"]},
    python_requires=">=3.9",
    install_requires=["numpy>=1.24", "graphviz"],
    extras_require={
        "gpu": ["cupy"],
        "test": ["pytest"],
        "bench": ["torch"],
    },
)
