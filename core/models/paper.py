"""ImageNet nets from the ResNet paper that torchvision does not build as published.

- plain18 / plain34: the paper's plain baselines (Table 1, Fig. 3 middle): the ResNet layout with
  the shortcuts removed — same convolutions, hence the same 1.8 / 3.6 G multiply-adds.
- resnet50/101/152 "as published": the stride-2 of a stage's first bottleneck sits on its first 1x1
  conv (≈3.8 / 7.6 / 11.3 G multiply-adds); torchvision's "v1.5" moves it onto the 3x3 (4.1 / 7.8 / 11.5 G).
- GoogLeNet with a real 5x5 branch: torchvision builds that branch as a 3x3 (a known departure
  kept for its pretrained weights).
"""

from __future__ import annotations

from torch import nn
from torchvision.models import googlenet as tv_googlenet
from torchvision.models.googlenet import BasicConv2d, Inception
from torchvision.models.resnet import BasicBlock, ResNet, resnet50, resnet101, resnet152


class PlainBasicBlock(BasicBlock):
    """torchvision's BasicBlock without its shortcut (and so without any projection)."""

    def __init__(self, inplanes, planes, stride=1, downsample=None, *args, **kwargs):
        super().__init__(inplanes, planes, stride, None, *args, **kwargs)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)))


def plain_net(layers: list[int], num_classes: int = 1000) -> ResNet:
    model = ResNet(PlainBasicBlock, layers, num_classes=num_classes)
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        for block in stage:
            block.downsample = None  # _make_layer built one; a plain net has no shortcut at all
    return model


def plain18(num_classes: int = 1000) -> ResNet:
    return plain_net([2, 2, 2, 2], num_classes)


def plain34(num_classes: int = 1000) -> ResNet:
    return plain_net([3, 4, 6, 3], num_classes)


def _stride_on_first_1x1(model: ResNet) -> ResNet:
    for stage in (model.layer2, model.layer3, model.layer4):
        first = stage[0]
        first.conv1.stride, first.conv2.stride = first.conv2.stride, (1, 1)
    return model


def resnet50_paper(num_classes: int = 1000) -> ResNet:
    return _stride_on_first_1x1(resnet50(num_classes=num_classes))


def resnet101_paper(num_classes: int = 1000) -> ResNet:
    return _stride_on_first_1x1(resnet101(num_classes=num_classes))


def resnet152_paper(num_classes: int = 1000) -> ResNet:
    return _stride_on_first_1x1(resnet152(num_classes=num_classes))


def googlenet_5x5(num_classes: int = 1000) -> nn.Module:
    model = tv_googlenet(num_classes=num_classes, aux_logits=False, init_weights=True)
    for module in model.modules():
        if isinstance(module, Inception):
            reduce, conv = module.branch3
            module.branch3[1] = BasicConv2d(reduce.conv.out_channels, conv.conv.out_channels, kernel_size=5, padding=2)
    return model
