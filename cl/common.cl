/*
 * common.cl - helpers shared by the other kernel files (prepended to every program).
 *
 * Activation codes (host/clrnn_impl.h clrnn_act): 0 linear, 1 sigmoid, 2 tanh, 3 relu,
 * 4 softmax (softmax has its own kernels; act_apply treats it as linear).
 * act_grad_y() gives the derivative in terms of the output y = act(z), which is what the
 * backward kernels keep.
 */
#define ACT_LINEAR 0
#define ACT_SIGMOID 1
#define ACT_TANH 2
#define ACT_RELU 3
#define ACT_SOFTMAX 4

inline float act_apply(int act, float z) {
    switch (act) {
    case ACT_SIGMOID:
        return 1.0f / (1.0f + exp(-z));
    case ACT_TANH:
        return tanh(z);
    case ACT_RELU:
        return z > 0.0f ? z : 0.0f;
    default:
        return z;
    }
}

inline float act_grad_y(int act, float y) {
    switch (act) {
    case ACT_SIGMOID:
        return y * (1.0f - y);
    case ACT_TANH:
        return 1.0f - y * y;
    case ACT_RELU:
        return y > 0.0f ? 1.0f : 0.0f;
    default:
        return 1.0f;
    }
}
