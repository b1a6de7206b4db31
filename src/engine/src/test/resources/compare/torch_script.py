"""Builds the same small PyTorch network as torch_export.py from the weights crossalign's test wrote (.npy, TFLite
layouts) and saves it as TorchScript (torch.jit.trace or torch.jit.script), as a user porting a TFLite model by hand
would. argv: weights dir, output .pt, trace|script, none|pad|channels (a deliberately broken port:
pad = conv2's SAME padding written as one-sided (0, 2) instead of (1, 1); channels = conv1's weights with their
input channels in the wrong order, RGB read as BGR)."""
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

d, out, how, broken = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
load = lambda n: torch.from_numpy(np.load(f"{d}/{n}.npy"))


class Net(nn.Module):
    def __init__(self, broken: str):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.act1 = nn.Hardswish()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=0 if broken == "pad" else 1)
        self.act2 = nn.ReLU6()
        self.fc = nn.Linear(8, 5)
        self.broken = broken

    def forward(self, image):
        x = image.permute(0, 3, 1, 2)  # the TFLite model's NHWC input, a permute inside
        y = self.act1(self.bn1(self.conv1(x)))
        if self.broken == "pad":
            y = F.pad(y, [0, 2, 0, 2])
        y = self.act2(self.conv2(y))
        return self.fc(y.mean((2, 3)))


net = Net(broken).eval()
with torch.no_grad():
    w1 = load("w1").permute(0, 3, 1, 2)  # OHWI -> OIHW
    net.conv1.weight.copy_(w1.flip(1) if broken == "channels" else w1)
    net.conv1.bias.copy_(load("b1"))
    net.bn1.weight.copy_(load("gamma"))
    net.bn1.bias.copy_(load("beta"))
    net.bn1.running_mean.copy_(load("mean"))
    net.bn1.running_var.copy_(load("var"))
    net.conv2.weight.copy_(load("w2").permute(0, 3, 1, 2))
    net.conv2.bias.copy_(load("b2"))
    net.fc.weight.copy_(load("wf"))
    net.fc.bias.copy_(load("bf"))
    m = torch.jit.trace(net, torch.zeros(1, 8, 8, 3)) if how == "trace" else torch.jit.script(net)
    m.save(out)
    # the oracle: eager PyTorch's own output on the test's input, when one is given
    if len(sys.argv) > 5:
        x = torch.from_numpy(np.load(sys.argv[5]))
        np.save(sys.argv[6], net(x).numpy())
