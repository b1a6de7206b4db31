"""Builds a small PyTorch network from the weights crossalign's test wrote (.npy, TFLite layouts) and exports it
with torch.onnx.export, as a user converting from PyTorch would. argv: weights dir, output .onnx, opset, [fp16]."""
import sys

import numpy as np
import torch
import torch.nn as nn

d, out, opset = sys.argv[1], sys.argv[2], int(sys.argv[3])
fp16 = len(sys.argv) > 4 and sys.argv[4] == "fp16"
load = lambda n: torch.from_numpy(np.load(f"{d}/{n}.npy"))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.act1 = nn.Hardswish()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.act2 = nn.ReLU6()
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)  # the TFLite model's NHWC input, a Transpose inside
        y = self.act1(self.bn1(self.conv1(x)))
        y = self.act2(self.conv2(y))
        return self.fc(y.mean((2, 3)))


net = Net().eval()
with torch.no_grad():
    net.conv1.weight.copy_(load("w1").permute(0, 3, 1, 2))  # OHWI -> OIHW
    net.conv1.bias.copy_(load("b1"))
    net.bn1.weight.copy_(load("gamma"))
    net.bn1.bias.copy_(load("beta"))
    net.bn1.running_mean.copy_(load("mean"))
    net.bn1.running_var.copy_(load("var"))
    w2 = load("w2").permute(0, 3, 1, 2)
    net.conv2.weight.copy_(w2.half().float() if fp16 else w2)
    net.conv2.bias.copy_(load("b2"))
    net.fc.weight.copy_(load("wf"))
    net.fc.bias.copy_(load("bf"))
torch.onnx.export(net, torch.zeros(1, 8, 8, 3), out, opset_version=opset, input_names=["image"],
                  output_names=["logits"])
