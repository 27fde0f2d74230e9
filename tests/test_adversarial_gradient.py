"""The adversarial losses' gradients with respect to the logits, everywhere including a logit of 0."""

from __future__ import annotations

import numpy as np
import paddle

from srgan.losses import discriminator_loss, generator_adversarial_loss


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_generator_loss_gradient_is_minus_sigmoid_of_minus_logit():
    # d/dx softplus(-x) = -sigmoid(-x); at x = 0 that is -0.5. Paddle 3's BCE-with-logits kernel
    # gave -1.5 there, a spike in chapter 4's gradient plot.
    x = np.array([-6.0, -1e-6, 0.0, 1e-6, 3.0], dtype=np.float32)
    logits = paddle.to_tensor(x, stop_gradient=False)
    (generator_adversarial_loss(logits) * len(x)).backward()  # undo the batch mean
    np.testing.assert_allclose(logits.grad.numpy(), -sigmoid(-x), atol=1e-6)
    np.testing.assert_allclose(float(generator_adversarial_loss(logits)), np.mean(np.log1p(np.exp(-x))), rtol=1e-6)


def test_discriminator_loss_gradients_at_and_around_zero():
    x = np.array([-2.0, 0.0, 2.0], dtype=np.float32)
    real = paddle.to_tensor(x, stop_gradient=False)
    fake = paddle.to_tensor(x, stop_gradient=False)
    (discriminator_loss(real, fake) * len(x)).backward()
    np.testing.assert_allclose(real.grad.numpy(), -sigmoid(-x), atol=1e-6)  # pushes real logits up
    np.testing.assert_allclose(fake.grad.numpy(), sigmoid(x), atol=1e-6)    # pushes fake logits down: +0.5 at 0


def test_losses_stay_finite_for_extreme_logits():
    big = paddle.to_tensor([[-100.0], [100.0]])
    assert np.isfinite(float(generator_adversarial_loss(big))) and np.isfinite(float(discriminator_loss(big, big)))
    np.testing.assert_allclose(float(generator_adversarial_loss(paddle.to_tensor([-100.0]))), 100.0, rtol=1e-6)
