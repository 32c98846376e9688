"""Benchmark suite: s2s_ad against hand-written NumPy gradients, autograd, JAX and PyTorch."""
