"""Benchmarks of compiled training steps against PyTorch, kept out of the
package's core (export, compile, run): ``cpu`` (``python3 -m pareprop
bench``) times ours against PyTorch eager on the CPU, ``gpu`` (``python3 -m
pareprop gpu-bench``) builds GPU executables and times them against PyTorch
CUDA. Importing ``pareprop`` imports neither."""
