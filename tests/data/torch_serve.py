"""A real torch CPU inference workload that reports its queries and phases to ecoai.

Usage: python torch_serve.py QUERIES [OUTPUT_TOKENS]
A small transformer answers QUERIES prompts of 48 tokens: a prefill over the prompt, then
OUTPUT_TOKENS greedy decode steps. Phases: load, prefill, decode; one query event per answer.
"""

import sys

from ecoai import track

with track.phase("load"):
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)
    VOCAB, WIDTH, CONTEXT = 512, 128, 64
    embed = torch.nn.Embedding(VOCAB, WIDTH)
    layer = torch.nn.TransformerEncoderLayer(WIDTH, nhead=4, dim_feedforward=256,
                                             batch_first=True)
    body = torch.nn.TransformerEncoder(layer, num_layers=2)
    head = torch.nn.Linear(WIDTH, VOCAB)
    for module in (embed, body, head):
        module.eval()

queries = int(sys.argv[1]) if len(sys.argv) > 1 else 8
output_tokens = int(sys.argv[2]) if len(sys.argv) > 2 else 24
with torch.inference_mode():
    for query in range(queries):
        prompt = torch.randint(0, VOCAB, (1, 48))
        with track.phase("prefill"):
            hidden = body(embed(prompt))
            tokens = [int(head(hidden[:, -1]).argmax())]
        with track.phase("decode"):
            context = prompt
            for _ in range(output_tokens - 1):
                context = torch.cat([context, torch.tensor([[tokens[-1]]])], dim=1)[:, -CONTEXT:]
                tokens.append(int(head(body(embed(context))[:, -1]).argmax()))
        track.query(input_tokens=prompt.shape[1], output_tokens=len(tokens))
        print(f"query {query}: {len(tokens)} tokens, last {tokens[-1]}")
