#!/usr/bin/env python3
"""Generates the PyTorch reference vectors the quantization and float-format tests compare against.

Run with Debian's python3 (which has python3-torch):

    /usr/bin/python3 tests/reference/generate_quant_vectors.py

It writes tests/reference/{quant,float,observer}_vectors.json (committed; the tests
read them without torch). Float32 values are stored as their uint32 bit patterns so nothing is lost.

PyTorch 1.13 has no float8 dtypes: the FP8 vectors (fp8_vectors.json) come from the `ml_dtypes` package
(float8_e4m3fn, float8_e5m2) when it is importable, e.g. from an unpacked wheel on PYTHONPATH; without it
the committed fp8_vectors.json is left as it is.
"""
import json
import os
import struct

import numpy as np
import torch
from torch.ao.quantization.observer import (
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    PerChannelMinMaxObserver,
)

HERE = os.path.dirname(os.path.abspath(__file__))


def f32_bits(t):
    return [int(b) for b in t.detach().contiguous().view(torch.int32).numpy().astype(np.int64) & 0xFFFFFFFF]


def bits_to_f32(bits):
    return torch.from_numpy(np.array(bits, dtype=np.uint32).view(np.float32).copy())


def float_vectors():
    g = torch.Generator().manual_seed(3)
    vals = []
    # Random values over many magnitudes (normal, fp16 subnormal range, bf16 range, large).
    for s in [1e-9, 1e-7, 3e-6, 1e-4, 1e-2, 1.0, 100.0, 3e4, 1e6, 1e30]:
        vals += (torch.randn(40, generator=g) * s).tolist()
    # Exact ties for float16: 1 + (2k+1)*2^-11 lies halfway between two halves.
    vals += [1 + (2 * k + 1) * 2.0 ** -11 for k in range(8)]
    vals += [-(1 + (2 * k + 1) * 2.0 ** -11) for k in range(4)]
    # Ties in the float16 subnormal range: (k + 0.5) * 2^-24.
    vals += [(k + 0.5) * 2.0 ** -24 for k in range(8)]
    vals += [2.0 ** -25, 2.0 ** -26, 2.0 ** -24, 2.0 ** -14, 2.0 ** -14 - 2.0 ** -25]
    # Exact ties for bfloat16: 1 + (2k+1)*2^-8.
    vals += [1 + (2 * k + 1) * 2.0 ** -8 for k in range(8)]
    vals += [3.0 * 2.0 ** -130, 5.0 * 2.0 ** -134]  # float32 subnormals (bfloat16 subnormals)
    # Overflow boundaries.
    vals += [65504.0, 65519.0, 65519.996, 65520.0, 65536.0, -65520.0, 1e5, 3.3895313892515355e38, 3.4e38]
    vals += [0.0, -0.0, 0.1, 1.0 / 3.0, -2.5]
    x = torch.tensor(vals, dtype=torch.float32)
    x = torch.cat([x, torch.tensor([float('inf'), float('-inf'), float('nan')])])
    # Largest float32 (rounds to inf in bfloat16).
    x = torch.cat([x, bits_to_f32([0x7F7FFFFF, 0xFF7FFFFF, 0x00000001, 0x80000001, 0x7F7F8000, 0x477FF000, 0x477FEFFF])])
    half = x.half().view(torch.int16).numpy().astype(np.int64) & 0xFFFF
    bf16 = x.bfloat16().view(torch.int16).numpy().astype(np.int64) & 0xFFFF
    return {
        'torch': torch.__version__,
        'input_bits': f32_bits(x),
        'half_bits': [int(v) for v in half],
        'bfloat16_bits': [int(v) for v in bf16],
    }


DTYPES = {'quint8': torch.quint8, 'qint8': torch.qint8, 'qint32': torch.qint32}
SCHEMES = {
    'per_tensor_affine': torch.per_tensor_affine,
    'per_tensor_symmetric': torch.per_tensor_symmetric,
    'per_channel_affine': torch.per_channel_affine,
    'per_channel_symmetric': torch.per_channel_symmetric,
}


def make_data(kind, shape, g):
    n = int(np.prod(shape))
    if kind == 'normal':
        return torch.randn(shape, generator=g) * 0.7 + 0.1
    if kind == 'positive':
        return torch.rand(shape, generator=g) * 5 + 0.5
    if kind == 'negative':
        return -torch.rand(shape, generator=g) * 2 - 0.25
    if kind == 'skewed':
        return torch.randn(shape, generator=g).abs() ** 3 - 0.2
    if kind == 'zeros':
        return torch.zeros(shape)
    if kind == 'ties':
        # Multiples of (k + 0.5) * 0.05 with the extreme value fixing scale = float32(0.05) (symmetric int8).
        k = torch.randint(-120, 120, (n,), generator=g).float()
        x = (k + 0.5) * 0.05
        x[0] = 6.375
        return x.reshape(shape)
    if kind == 'wide':
        return torch.randn(shape, generator=g) * torch.logspace(-3, 2, shape[0]).reshape([-1] + [1] * (len(shape) - 1))
    raise ValueError(kind)


def quant_case(name, dtype, scheme, qmin, qmax, shape, kind, axis, g, bits, signed, narrow):
    x = make_data(kind, shape, g).float().contiguous()
    kwargs = dict(dtype=DTYPES[dtype], qscheme=SCHEMES[scheme])
    if qmin is not None:
        kwargs.update(quant_min=qmin, quant_max=qmax)
    if axis is None:
        obs = MinMaxObserver(**kwargs)
    else:
        obs = PerChannelMinMaxObserver(ch_axis=axis, **kwargs)
    obs(x)
    scale, zp = obs.calculate_qparams()
    scale = scale.float()
    zp = zp.to(torch.int64)
    lo, hi = obs.quant_min, obs.quant_max
    if axis is None:
        q = torch.quantize_per_tensor(x, float(scale[0]), int(zp[0]), DTYPES[dtype])
    else:
        q = torch.quantize_per_channel(x, scale.double(), zp, axis, DTYPES[dtype])
    ints = q.int_repr().to(torch.int64).clamp(lo, hi)
    # Dequantize the (range-clamped) integers the way torch does: (q - zp) * scale in float32.
    if axis is None:
        deq = torch.dequantize(torch._make_per_tensor_quantized_tensor(ints.to(q.int_repr().dtype), float(scale[0]), int(zp[0])))
    else:
        deq = torch.dequantize(torch._make_per_channel_quantized_tensor(ints.to(q.int_repr().dtype), scale.double(), zp, axis))
    return {
        'name': name,
        'observer': 'MinMaxObserver' if axis is None else 'PerChannelMinMaxObserver',
        'dtype': dtype,
        'qscheme': scheme,
        'bits': bits,
        'signed': signed,
        'symmetric': 'symmetric' in scheme,
        'narrowRange': narrow,
        'axis': axis,
        'qmin': lo,
        'qmax': hi,
        'shape': list(shape),
        'x_bits': f32_bits(x.flatten()),
        'scale_bits': f32_bits(scale),
        'zero_point': [int(v) for v in zp],
        'q': [int(v) for v in ints.flatten()],
        'dequant_bits': f32_bits(deq.flatten()),
    }


def quant_vectors():
    g = torch.Generator().manual_seed(7)
    cases = []
    # (bits, signed, narrow) -> (dtype, qmin, qmax); None range = the dtype's default 8-bit range.
    ranges = [
        (8, False, False, 'quint8', None, None),
        (8, True, False, 'qint8', None, None),
        (8, True, True, 'qint8', -127, 127),
        (4, True, False, 'qint8', -8, 7),
        (4, False, False, 'quint8', 0, 15),
        (2, True, False, 'qint8', -2, 1),
        (3, False, False, 'quint8', 0, 7),
        (16, True, False, 'qint32', -32768, 32767),
    ]
    for bits, signed, narrow, dtype, qmin, qmax in ranges:
        for scheme in SCHEMES:
            per_channel = scheme.startswith('per_channel')
            if dtype == 'qint32' and per_channel:
                continue  # torch has no per-channel qint32 observers
            kinds = ['normal', 'positive', 'negative', 'skewed', 'zeros'] if not per_channel else ['normal', 'wide', 'skewed']
            if bits == 8 and signed and not narrow and scheme == 'per_tensor_symmetric':
                kinds.append('ties')
            for kind in kinds:
                if per_channel:
                    for axis, shape in [(0, (6, 25)), (1, (40, 5)), (0, (4, 3, 3, 2)), (3, (3, 3, 2, 5))]:
                        if kind == 'wide' and axis != 0:
                            continue
                        name = f'{dtype}[{qmin},{qmax}] {scheme} {kind} axis={axis} shape={shape}'
                        cases.append(quant_case(name, dtype, scheme, qmin, qmax, shape, kind, axis, g, bits, signed, narrow))
                else:
                    shape = (300,) if kind != 'ties' else (200,)
                    name = f'{dtype}[{qmin},{qmax}] {scheme} {kind}'
                    cases.append(quant_case(name, dtype, scheme, qmin, qmax, shape, kind, None, g, bits, signed, narrow))
    return {'torch': torch.__version__, 'cases': cases}


def observer_vectors():
    """Running statistics over several batches: MinMax (running extremes) and moving averages."""
    g = torch.Generator().manual_seed(11)
    cases = []
    specs = [
        ('MinMaxObserver', None, torch.quint8, torch.per_tensor_affine, 8, False, False),
        ('MovingAverageMinMaxObserver', None, torch.quint8, torch.per_tensor_affine, 8, False, False),
        ('MovingAverageMinMaxObserver', None, torch.qint8, torch.per_tensor_symmetric, 8, True, True),
        ('PerChannelMinMaxObserver', 1, torch.qint8, torch.per_channel_symmetric, 8, True, True),
        ('MovingAveragePerChannelMinMaxObserver', 1, torch.quint8, torch.per_channel_affine, 8, False, False),
    ]
    for name, axis, dtype, scheme, bits, signed, symmetric in specs:
        kwargs = dict(dtype=dtype, qscheme=scheme)
        if name.startswith('MovingAverage'):
            kwargs['averaging_constant'] = 0.1
        if axis is not None:
            kwargs['ch_axis'] = axis
        obs = globals()[name](**kwargs)
        batches = []
        for b in range(6):
            x = (torch.randn(20, 4, generator=g) * (1 + b) + 0.3 * b).float()
            obs(x)
            batches.append(f32_bits(x.flatten()))
        scale, zp = obs.calculate_qparams()
        cases.append({
            'observer': name, 'axis': axis, 'bits': bits, 'signed': signed, 'symmetric': symmetric,
            'averaging_constant': kwargs.get('averaging_constant'), 'shape': [20, 4], 'batches_bits': batches,
            'min_bits': f32_bits(obs.min_val.flatten()), 'max_bits': f32_bits(obs.max_val.flatten()),
            'scale_bits': f32_bits(scale.float()), 'zero_point': [int(v) for v in zp],
        })
    return {'torch': torch.__version__, 'cases': cases}


def fp8_vectors():
    try:
        import ml_dtypes
    except ImportError:
        return None
    g = np.random.default_rng(5)
    vals = []
    for s in [1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5]:
        vals += list(g.standard_normal(30) * s)
    # Exact ties on the E4M3 and E5M2 grids, subnormal ties and overflow boundaries of both formats.
    vals += [(k + 0.5) * 2.0 ** -9 for k in range(8)] + [(k + 0.5) * 2.0 ** -16 for k in range(4)]
    vals += [1 + (2 * k + 1) * 2.0 ** -4 for k in range(8)] + [1 + (2 * k + 1) * 2.0 ** -3 for k in range(4)]
    vals += [448.0, 464.0, 465.0, 480.0, 500.0, -464.0, 57344.0, 61439.0, 61440.0, -61440.0, 0.0, -0.0, 2.0 ** -10, 2.0 ** -17]
    x = np.array(vals, dtype=np.float32)
    x = np.concatenate([x, np.array([np.inf, -np.inf, np.nan], dtype=np.float32)])
    return {
        'ml_dtypes': ml_dtypes.__version__,
        'input_bits': [int(b) for b in x.view(np.uint32)],
        'e4m3fn_bits': [int(b) for b in x.astype(ml_dtypes.float8_e4m3fn).view(np.uint8)],
        'e5m2_bits': [int(b) for b in x.astype(ml_dtypes.float8_e5m2).view(np.uint8)],
    }


def main():
    outputs = [('float_vectors.json', float_vectors()), ('quant_vectors.json', quant_vectors()), ('observer_vectors.json', observer_vectors())]
    fp8 = fp8_vectors()
    if fp8 is None:
        print('ml_dtypes is not importable: fp8_vectors.json left unchanged')
    else:
        outputs.append(('fp8_vectors.json', fp8))
    for fname, data in outputs:
        path = os.path.join(HERE, fname)
        with open(path, 'w') as f:
            json.dump(data, f, separators=(',', ':'))
            f.write('\n')
        print('wrote', path, os.path.getsize(path), 'bytes')


if __name__ == '__main__':
    main()
