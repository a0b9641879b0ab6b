import os

# The shared 2-core test machine is heavily loaded; torch's default intra-op threads make tiny
# matmuls ~10x slower there. One thread keeps the suite within its time budget.
if os.environ.get("KERAS_BACKEND") == "torch":
    import torch

    torch.set_num_threads(1)
