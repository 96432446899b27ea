"""The SRGAN discriminator (Ledig et al. 2017), also used as SRPGAN's feature extractor.

Eight 3×3 conv layers (64 → 512 feature maps, stride 2 whenever the count is kept), each with
LeakyReLU(0.2) and batch norm except the first, then two dense layers (1024, 1). An adaptive
average pool replaces the paper's fixed 96×96 input so that any patch size works. The forward pass
can also return the feature map after every conv stage: SRPGAN's perceptual loss compares those
maps for SR and HR images instead of an ImageNet VGG, whose weights we cannot download.
"""

from __future__ import annotations

import torch
from torch import nn

#: (out_channels, stride) of each conv layer, as in the paper's figure 4.
PAPER_LAYERS = ((64, 1), (64, 2), (128, 1), (128, 2), (256, 1), (256, 2), (512, 1), (512, 2))


class SRGANDiscriminator(nn.Module):
    def __init__(self, base_channels: int = 64, pool_size: int = 6) -> None:
        super().__init__()
        factor = base_channels / 64
        stages = []
        in_ch = 3
        for index, (channels, stride) in enumerate(PAPER_LAYERS):
            out_ch = max(1, int(channels * factor))
            layers: list[nn.Module] = [nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1)]
            if index > 0:
                layers.append(nn.BatchNorm2d(out_ch))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            stages.append(nn.Sequential(*layers))
            in_ch = out_ch
        self.features = nn.ModuleList(stages)
        self.pool = nn.AdaptiveAvgPool2d(pool_size)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_ch * pool_size * pool_size, 1024),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, 1),
        )

    def forward(
        self, x: torch.Tensor, *, return_features: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """x: N×3×H×W in [0, 1]. Returns logits N×1 (and the per-stage feature maps)."""
        feats = []
        h = x * 2 - 1  # centre the input: the paper trains D on [-1, 1] images
        for stage in self.features:
            h = stage(h)
            feats.append(h)
        logits = self.classifier(self.pool(h))
        return (logits, feats) if return_features else logits
