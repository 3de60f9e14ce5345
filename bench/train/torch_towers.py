# torch_towers.py: the symnet towers (lib/net.c's named architectures) in
# PyTorch, and the two pair heads, for the speed comparisons in bench/.
# Shapes follow symnet: 1 x S x S inputs, conv stride 1, max pool stride =
# size (floor), dense after a flatten.
import torch
import torch.nn as nn
import torch.nn.functional as F


def tower(arch, size):
    """mlp, conv4 or koch for 1 x size x size inputs."""
    if arch == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(size * size, 128),
                             nn.ReLU())
    if arch == "conv4":
        layers, c = [], 1
        for _ in range(4):
            layers += [nn.Conv2d(c, 64, 3, padding=1), nn.BatchNorm2d(64),
                       nn.ReLU(), nn.MaxPool2d(2)]
            c = 64
        return nn.Sequential(*layers, nn.Flatten())
    if arch == "koch":
        s = size
        s = (s - 9) // 2      # conv 10, pool 2
        s = (s - 6) // 2      # conv 7, pool 2
        s = (s - 3) // 2      # conv 4, pool 2
        s = s - 3             # conv 4
        return nn.Sequential(
            nn.Conv2d(1, 64, 10), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 7), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(128, 128, 4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(128, 256, 4), nn.ReLU(), nn.Flatten(),
            nn.Linear(256 * s * s, 4096), nn.Sigmoid())
    raise ValueError("unknown arch " + arch)


def contrastive(e1, e2, same, margin=1.0):
    """same d^2 + (1 - same) max(0, margin - d)^2, mean over pairs."""
    d2 = ((e1 - e2) ** 2).sum(1)
    d = torch.sqrt(d2 + 1e-12)
    return (same * d2 + (1 - same) * F.relu(margin - d) ** 2).mean()


class BceHead(nn.Module):
    """Koch's head: sigmoid(w . |e1 - e2| + b), binary cross-entropy."""

    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, 1)

    def forward(self, e1, e2, same):
        z = self.fc((e1 - e2).abs()).squeeze(1)
        return F.binary_cross_entropy_with_logits(z, same)
