"""A real torch CPU inference workload: a small transformer encoder serving QUERIES requests.

Usage: python torch_infer.py QUERIES   Prints one line per query (its top class).
"""

import sys

import torch

queries = int(sys.argv[1]) if len(sys.argv) > 1 else 10
torch.manual_seed(0)
torch.set_num_threads(1)
layer = torch.nn.TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=256,
                                         batch_first=True)
model = torch.nn.Sequential(torch.nn.TransformerEncoder(layer, num_layers=2))
head = torch.nn.Linear(128, 10)
model.eval()
with torch.inference_mode():
    for query in range(queries):
        tokens = torch.randn(1, 64, 128)
        logits = head(model(tokens).mean(dim=1))
        print(f"query {query}: class {int(logits.argmax())}")
