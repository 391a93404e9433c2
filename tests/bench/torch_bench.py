"""torch_bench.py - the configurations of clrnn-bench (tools/bench.c) in PyTorch.

The same models as clrnn-bench's specs (bench_common.py), layer by layer: nn.Embedding,
one nn.LSTM / nn.GRU per recurrent layer (cuDNN's kernels on a CUDA device; the last
timestep's output, or the final states of both directions joined for Bidirectional, where
the layer does not return sequences), nn.Linear. Initialised as Keras does (uniform
+-0.05 embeddings, Glorot-uniform input and dense kernels, orthogonal recurrent kernels,
zero biases but the LSTM forget gate's 1); PyTorch's recurrent layers have a second bias
vector (kept at zero at the start: it is the GRU's recurrent bias of reset_after=True, as
in Keras 3). Losses: BCE on sigmoid outputs (Dense(1,sigmoid)), BCE with logits
(Dense(1)), cross-entropy on the logits of Dense(60,softmax) (the same function as
Keras's sparse categorical cross-entropy of the softmax; predict returns the softmax).
Adam with Keras's defaults (lr 1e-3, betas 0.9/0.999, epsilon 1e-7). The data go to the
device once; each epoch draws a new permutation and takes batches of `batch` from it (the
last one short, as Keras's). Inference in eval mode under torch.inference_mode(), batches
of infer_batch, the outputs copied to the host at the end.

Needs python3 with torch and numpy only:
  python3 tests/bench/torch_bench.py --device cuda --config seed_lstm --samples 20000 --json
On this machine, tests/bench/run_ref.sh torch ... runs it in its pinned environment.
PyTorch uses --threads N intra- and inter-op threads (default: every core the process may
run on, as TensorFlow and PoCL do), which "threads" reports.
"""
import sys

import numpy as np
import torch
from torch import nn

import bench_common as bc


def keras_like_init(module):
    """Keras's initialisers on a PyTorch recurrent, embedding or linear layer."""
    if isinstance(module, nn.Embedding):
        nn.init.uniform_(module.weight, -0.05, 0.05)
    elif isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.LSTM, nn.GRU)):
        gates = 4 if isinstance(module, nn.LSTM) else 3
        for name, p in module.named_parameters():
            if name.startswith("weight_ih"):
                nn.init.xavier_uniform_(p)
            elif name.startswith("weight_hh"):
                # Keras: one orthogonal (units, gates*units) matrix; its transpose here
                nn.init.orthogonal_(p)
            elif name.startswith("bias"):
                nn.init.zeros_(p)
                if gates == 4 and name.startswith("bias_ih"):
                    h = module.hidden_size
                    nn.init.ones_(p[h:2 * h])  # unit_forget_bias (gate order i, f, g, o)


class Recurrent(nn.Module):
    """An LSTM or GRU layer as Keras's: the whole sequence, or only the last output."""

    def __init__(self, kind, inputs, units, return_sequences, bidirectional):
        super().__init__()
        cls = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = cls(inputs, units, batch_first=True, bidirectional=bidirectional)
        self.return_sequences = return_sequences
        self.outputs = units * (2 if bidirectional else 1)

    def forward(self, x):
        out, state = self.rnn(x)
        if self.return_sequences:
            return out
        h = state[0] if isinstance(state, tuple) else state  # (directions, batch, units)
        return h[0] if h.shape[0] == 1 else torch.cat([h[0], h[1]], dim=1)


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        mods, width, self.final = [], None, None
        for name, args, kw in cfg.layers:
            bidirectional = name == "bidirectional"
            if bidirectional:
                name, args, kw = args[0]
            if name == "embedding":
                mods.append(nn.Embedding(args[0], args[1]))
                width = args[1]
            elif name in ("lstm", "gru"):
                r = Recurrent(name, width, args[0], kw.get("return_sequences", False),
                              bidirectional)
                mods.append(r)
                width = r.outputs
            elif name == "dense":
                mods.append(nn.Linear(width, args[0]))
                width = args[0]
                self.final = args[1] if len(args) > 1 else None
            else:
                raise ValueError("torch_bench.py: no PyTorch layer for '%s'" % name)
        self.body = nn.Sequential(*mods)
        self.body.apply(keras_like_init)

    def forward(self, x):
        """Training output: probabilities for sigmoid, logits for softmax and linear."""
        y = self.body(x)
        return torch.sigmoid(y) if self.final == "sigmoid" else y

    def predict(self, x):
        y = self.forward(x)
        return torch.softmax(y, dim=-1) if self.final == "softmax" else y


class TorchRunner:
    def __init__(self, cfg, n, args):
        self.cfg = cfg
        self.dev = torch.device(args.device)
        if self.dev.type == "cuda" and not torch.cuda.is_available():
            raise SystemExit("torch_bench.py: --device %s: this PyTorch sees no CUDA device"
                             % args.device)
        torch.manual_seed(1)
        self.gen = torch.Generator(device=self.dev)
        self.gen.manual_seed(7)
        self.model = Model(cfg).to(self.dev)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, betas=(0.9, 0.999),
                                    eps=1e-7)
        if cfg.loss == "bce":
            self.lossfn = nn.BCEWithLogitsLoss() if cfg.from_logits else nn.BCELoss()
        else:
            self.lossfn = nn.CrossEntropyLoss()
        self.xy = None
        v = "PyTorch %s" % torch.__version__
        if self.dev.type == "cuda":
            if not torch.backends.cudnn.is_available():
                raise SystemExit("torch_bench.py: cuDNN is not available to this PyTorch")
            torch.backends.cudnn.enabled = True
            self.device = "%s, CUDA %s, cuDNN %s, %s" % (
                v, torch.version.cuda, torch.backends.cudnn.version(),
                torch.cuda.get_device_name(self.dev))
            torch.cuda.reset_peak_memory_stats(self.dev)
            self.threads = "CUDA device (host: %d intra-op threads)" % torch.get_num_threads()
        else:
            self.device = "%s, CPU: %s" % (v, bc.cpu_name())
            self.threads = "intra-op %d, inter-op %d (of %d cores)" % (
                torch.get_num_threads(), torch.get_num_interop_threads(), bc.cores())

    @property
    def peak_device_memory(self):
        if self.dev.type != "cuda":
            return "n/a"
        return round(torch.cuda.max_memory_allocated(self.dev) / 1048576.0, 1)

    def _on_device(self, x, y):
        # the same arrays every call (bench_common.measure makes them once)
        if self.xy is None or self.xy[0] is not x:
            self.xy = (x, torch.from_numpy(x.astype(np.int64)).to(self.dev),
                       torch.from_numpy(y).to(self.dev))
            if self.cfg.loss == "bce":
                self.y_train = self.xy[2].unsqueeze(1)
            else:
                self.y_train = self.xy[2].long()
        return self.xy[1], self.y_train

    def fit(self, x, y, epochs):
        xd, yd = self._on_device(x, y)
        n, b = xd.shape[0], self.cfg.batch
        self.model.train()
        mean = float("nan")
        for _ in range(epochs):
            perm = torch.randperm(n, device=self.dev, generator=self.gen)
            total = torch.zeros((), device=self.dev)
            for i in range(0, n, b):
                idx = perm[i:i + b]
                loss = self.lossfn(self.model(xd[idx]), yd[idx])
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                self.opt.step()
                total += loss.detach() * idx.shape[0]
            mean = total.item() / n  # waits for the device
        return mean

    def predict(self, x):
        xd = torch.from_numpy(x.astype(np.int64)).to(self.dev)
        self.model.eval()
        outs = []
        with torch.inference_mode():
            for i in range(0, xd.shape[0], self.cfg.infer_batch):
                outs.append(self.model.predict(xd[i:i + self.cfg.infer_batch]))
            return torch.cat(outs).cpu().numpy()


def add_args(ap):
    ap.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")


def set_threads(args):
    n = args.threads or bc.cores()
    torch.set_num_threads(n)
    torch.set_num_interop_threads(n)


if __name__ == "__main__":
    sys.exit(bc.main("torch_bench.py", __doc__.splitlines()[0], TorchRunner, "torch",
                     add_args, set_threads))
