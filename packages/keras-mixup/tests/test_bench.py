"""The benchmark's step-time breakdown variants stop where they say."""

import keras
import numpy as np

import keras_mixup_bench as bench
from keras_mixup import Mixup


def test_breakdown_variants_stop_where_they_say():
    x_train, _, y_train, _ = bench._digits()
    x, y = x_train[:32], y_train[:32]

    def trained(make):
        keras.utils.set_random_seed(0)
        model = make()
        model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
        loss = float(model.train_on_batch(x, y))
        return loss, [np.asarray(w) for w in model.get_weights()[:8]]

    def mixer():
        return Mixup(alpha=1.0, seed=0)

    variants = list(bench._breakdown_variants().values())
    plain = trained(bench._cnn)
    wrapper, mixed_inputs, full = (trained(lambda v=v: v(bench._cnn(), mixer())) for v in variants)
    # the wrapper alone trains exactly as the plain model
    assert wrapper[0] == plain[0]
    for a, b in zip(wrapper[1], plain[1], strict=True):
        np.testing.assert_array_equal(a, b)
    # mixed inputs change the step; the interpolated loss changes it again
    assert mixed_inputs[0] != plain[0]
    assert full[0] != mixed_inputs[0]
