"""The chapters' data, one module per task: made on the spot from a seed, or bundled with a
library (scikit-learn's digits); never downloaded."""
