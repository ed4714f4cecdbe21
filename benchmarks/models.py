"""The models the benchmark and tests/test_collapse.py draw: deep MLPs, small ResNets, transformers.

There is no torchvision or transformers here. ``resnet(blocks=20)`` is a CIFAR-style ResNet of
BasicBlocks (conv-bn-relu-conv-bn plus the shortcut), in four stages. The others copy the module
structure of the real thing, small: ``resnet18_like`` is torchvision's resnet18 (its BasicBlock
calls one ``self.relu`` twice), ``gpt2_like`` ties its head to its embedding like GPT-2,
``bert_like`` nests like transformers' BERT and passes tensors as keyword arguments, ``ResMLP``
is a residual MLP whose block ``cut`` runs under no_grad.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(depth: int, width: int = 16) -> nn.Sequential:
    """``depth`` Linear layers, each followed by a ReLU: a Sequential of 2 * depth modules."""
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, blocks: int = 20, width: int = 8, classes: int = 10):
        super().__init__()
        per_stage = [blocks // 4 + (i < blocks % 4) for i in range(4)]
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        cin = width
        for i, n in enumerate(per_stage):
            cout = width * 2 ** i
            stage = [BasicBlock(cin, cout, 1 if i == 0 else 2)] + [BasicBlock(cout, cout) for _ in range(n - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
            cin = cout
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        return self.fc(torch.flatten(self.pool(out), 1))


def resnet(blocks: int = 20) -> ResNet:
    return ResNet(blocks)


def run_mlp(depth: int, watch=None):
    """(loss, model) of one forward pass, inside ``watch`` when given (agv.watch)."""
    torch.manual_seed(0)
    model = mlp(depth)
    x = torch.randn(4, 16)
    with watch() if watch else _nothing():
        loss = model(x).sum()
    return loss, model


def run_resnet(blocks: int = 20, watch=None):
    torch.manual_seed(0)
    model = resnet(blocks)
    x = torch.randn(2, 3, 16, 16)
    with watch() if watch else _nothing():
        loss = model(x).sum()
    return loss, model


class TorchvisionBlock(nn.Module):
    """torchvision's BasicBlock: one ReLU module, called twice."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Resnet18Like(nn.Module):
    """torchvision's resnet18, module for module (conv1 ... layer4, avgpool, fc), narrower."""

    def __init__(self, width: int = 4, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = width
        for i in range(4):
            cout = width * 2 ** i
            setattr(self, f"layer{i + 1}", nn.Sequential(TorchvisionBlock(cin, cout, 1 if i == 0 else 2),
                                                         TorchvisionBlock(cout, cout)))
            cin = cout
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18_like(x_size: int = 32):
    torch.manual_seed(0)
    return Resnet18Like(), torch.randn(2, 3, x_size, x_size)


class GPT2Like(nn.Module):
    """An embedding, two blocks, a head whose weight IS the embedding's (tied, as in GPT-2)."""

    def __init__(self, vocab: int = 50, dim: int = 16, layers: int = 2):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.h = nn.ModuleList(nn.TransformerEncoderLayer(dim, 2, 32, dropout=0.0, batch_first=True)
                               for _ in range(layers))
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, ids):
        x = self.wte(ids)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class SelfAttention(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)

    def forward(self, hidden_states, attention_mask=None):
        q, k, v = self.query(hidden_states), self.key(hidden_states), self.value(hidden_states)
        scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5 + attention_mask
        return scores.softmax(-1) @ v


class DenseNorm(nn.Module):
    """BERT's SelfOutput / Output: dense, then LayerNorm of the sum with the residual."""

    def __init__(self, din: int, dout: int):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(din, dout), nn.LayerNorm(dout)

    def forward(self, hidden_states, input_tensor):
        return self.LayerNorm(self.dense(hidden_states) + input_tensor)


class Attention(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.self, self.output = SelfAttention(dim), DenseNorm(dim, dim)

    def forward(self, hidden_states, attention_mask=None):
        return self.output(self.self(hidden_states, attention_mask=attention_mask), input_tensor=hidden_states)


class BertLayer(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.attention = Attention(dim)
        self.intermediate = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU())
        self.output = DenseNorm(2 * dim, dim)

    def forward(self, hidden_states, attention_mask=None):
        attended = self.attention(hidden_states, attention_mask=attention_mask)
        return self.output(self.intermediate(attended), input_tensor=attended)


class BertEmbeddings(nn.Module):
    def __init__(self, vocab: int, dim: int):
        super().__init__()
        self.word_embeddings, self.LayerNorm = nn.Embedding(vocab, dim), nn.LayerNorm(dim)

    def forward(self, input_ids):
        return self.LayerNorm(self.word_embeddings(input_ids))


class BertEncoder(nn.Module):
    def __init__(self, dim: int, layers: int):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(dim) for _ in range(layers))

    def forward(self, hidden_states, attention_mask=None):
        for layer in self.layer:
            hidden_states = layer(hidden_states=hidden_states, attention_mask=attention_mask)
        return hidden_states


class BertModel(nn.Module):
    def __init__(self, vocab: int, dim: int, layers: int):
        super().__init__()
        self.embeddings, self.encoder = BertEmbeddings(vocab, dim), BertEncoder(dim, layers)
        self.pooler = nn.Sequential(nn.Linear(dim, dim), nn.Tanh())

    def forward(self, input_ids):
        mask = torch.zeros(input_ids.shape[0], 1, input_ids.shape[1])
        hidden = self.encoder(self.embeddings(input_ids), attention_mask=mask)
        return self.pooler(hidden[:, 0])


class BertLike(nn.Module):
    """transformers' BertForSequenceClassification, module for module and call for call, small:
    bert.{embeddings, encoder.layer.N.{attention.{self, output}, intermediate, output}, pooler},
    then a classifier; the layers are called with keyword arguments."""

    def __init__(self, vocab: int = 50, dim: int = 16, layers: int = 2):
        super().__init__()
        self.bert = BertModel(vocab, dim, layers)
        self.classifier = nn.Linear(dim, 2)

    def forward(self, input_ids):
        return self.classifier(self.bert(input_ids))


class ResMLPBlock(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(dim, dim), nn.Linear(dim, dim)

    def forward(self, x):
        return x + self.lin2(torch.relu(self.lin1(x)))


class ResMLP(nn.Module):
    """A residual MLP; block ``cut`` runs under torch.no_grad() (a teacher's notebook did this)."""

    def __init__(self, dim: int = 16, blocks: int = 24, cut: int = 20):
        super().__init__()
        self.inp = nn.Linear(4, dim)
        self.blocks = nn.ModuleList(ResMLPBlock(dim) for _ in range(blocks))
        self.out = nn.Linear(dim, 1)
        self.cut = cut

    def forward(self, x):
        x = self.inp(x)
        for i, block in enumerate(self.blocks):
            with torch.no_grad() if i == self.cut else _nothing():
                x = block(x)
        return self.out(x)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
