/*
 * common.cl - helpers shared by the other kernel files (prepended to every program).
 *
 * Activation codes (host/clrnn_impl.h clrnn_act): 0 linear, 1 sigmoid, 2 tanh, 3 relu,
 * 4 softmax (softmax has its own kernels; act_apply treats it as linear), 5 hard_sigmoid of
 * Keras 2 (slope 0.2), 6 hard_sigmoid of Keras 3 (slope 1/6). Both are clipped lines, so
 * their derivative from y is the slope where 0 < y < 1 and 0 where clipped.
 * act_grad_y() gives the derivative in terms of the output y = act(z), which is what the
 * backward kernels keep.
 */
#define ACT_LINEAR 0
#define ACT_SIGMOID 1
#define ACT_TANH 2
#define ACT_RELU 3
#define ACT_SOFTMAX 4
#define ACT_HARD_SIGMOID 5
#define ACT_HARD_SIGMOID_K3 6

static inline float act_apply(int act, float z) {
    switch (act) {
    case ACT_SIGMOID:
        return 1.0f / (1.0f + exp(-z));
    case ACT_TANH:
        return tanh(z);
    case ACT_RELU:
        return z > 0.0f ? z : 0.0f;
    case ACT_HARD_SIGMOID:
        return clamp(0.2f * z + 0.5f, 0.0f, 1.0f);
    case ACT_HARD_SIGMOID_K3:
        return clamp(z / 6.0f + 0.5f, 0.0f, 1.0f);
    default:
        return z;
    }
}

static inline float act_grad_y(int act, float y) {
    switch (act) {
    case ACT_SIGMOID:
        return y * (1.0f - y);
    case ACT_TANH:
        return 1.0f - y * y;
    case ACT_RELU:
        return y > 0.0f ? 1.0f : 0.0f;
    case ACT_HARD_SIGMOID:
        return y > 0.0f && y < 1.0f ? 0.2f : 0.0f;
    case ACT_HARD_SIGMOID_K3:
        return y > 0.0f && y < 1.0f ? 1.0f / 6.0f : 0.0f;
    default:
        return 1.0f;
    }
}
