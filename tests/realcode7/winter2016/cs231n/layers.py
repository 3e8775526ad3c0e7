import numpy as np


def max_pool_forward_naive(x, pool_param):
  N, C, H, W = x.shape
  ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
  Hout = 1 + (H - ph) / s
  Wout = 1 + (W - pw) / s
  out = np.zeros((N, C, Hout, Wout))
  for i in xrange(Hout):
    for j in xrange(Wout):
      out[:, :, i, j] = x[:, :, i*s:i*s+ph, j*s:j*s+pw].max(axis=(2, 3))
  return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
  x, pool_param = cache
  N, C, H, W = x.shape
  ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
  dx = np.zeros_like(x)
  for i in xrange(dout.shape[2]):
    for j in xrange(dout.shape[3]):
      window = x[:, :, i*s:i*s+ph, j*s:j*s+pw]
      hit = window == window.max(axis=(2, 3), keepdims=True)
      dx[:, :, i*s:i*s+ph, j*s:j*s+pw] += hit * dout[:, :, i, j][:, :, None, None]
  return dx
