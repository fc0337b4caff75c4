"""Applications built on the framework: a scikit-learn style classifier (`classifier`) and a
dependency-free progress bar (`progress`).  Nothing in the framework imports them."""
