using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// TorchSharp's RMSprop with a step that owns its scalars. TorchSharp 0.107 turns each double it passes to an in-place
/// op (<c>mul_(alpha)</c>, <c>addcmul_(g, g, 1 - alpha)</c>, ...) into a <see cref="Scalar"/> that only a finalizer frees,
/// and hands libtorch its native pointer without keeping it alive: a garbage collection during the native call (most
/// likely on a loaded machine, when the thread is descheduled inside libtorch) frees the scalar while libtorch reads it,
/// and the step fails with "Expected false to be true" from <c>Scalar::toFloat</c>. Here every scalar is created once
/// per step and disposed after the last native call that uses it. Same update, same state and the same class name, so
/// checkpoints (which record the optimizer's type name) read and write as before.
/// </summary>
internal sealed class RMSProp : TorchSharp.Modules.RMSProp
{
    public RMSProp(IEnumerable<Parameter> parameters, double lr, double alpha, double eps, double weightDecay, double momentum)
        : base(parameters, lr, alpha, eps, weightDecay, momentum)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = group.Options;
        double momentum = o.momentum!.Value, alpha = o.alpha!.Value, weightDecay = o.weight_decay!.Value;
        bool centered = o.centered!.Value, maximize = o.maximize!.Value;
        using var alphaScalar = alpha.ToScalar();
        using var oneMinusAlpha = (1 - alpha).ToScalar();
        using var minusOne = (-1.0).ToScalar();
        using var one = 1.ToScalar();
        using var eps = o.eps!.Value.ToScalar();
        using var decay = weightDecay.ToScalar();
        using var momentumScalar = momentum.ToScalar();
        using var minusLr = (-o.LearningRate!.Value).ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var grad = parameter.grad;
            if (grad is null) continue;
            var state = (State)_state[parameter.Handle];
            if (maximize) grad = grad.neg();
            state.step++;
            if (weightDecay != 0) grad = grad.add(parameter, decay);
            state.square_avg.mul_(alphaScalar).addcmul_(grad, grad, oneMinusAlpha);
            Tensor avg;
            if (centered)
            {
                state.grad_avg.mul_(alphaScalar).add_(grad, oneMinusAlpha);
                avg = state.square_avg.addcmul(state.grad_avg, state.grad_avg, minusOne).sqrt_().add_(eps, one);
            }
            else
            {
                avg = state.square_avg.sqrt().add_(eps, one);
            }
            if (momentum > 0)
            {
                state.momentum_buffer.mul_(momentumScalar).addcdiv_(grad, avg, one);
                parameter.add_(state.momentum_buffer, minusLr);
            }
            else
            {
                parameter.addcdiv_(grad, avg, minusLr);
            }
        }
    }, closure);
}
