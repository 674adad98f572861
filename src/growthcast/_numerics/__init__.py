"""Private numerical kernels on arrays shaped (problems, points)."""
