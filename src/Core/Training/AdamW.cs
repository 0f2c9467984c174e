using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// TorchSharp's AdamW with a step that owns its scalars (see <see cref="RMSProp"/> for the race in TorchSharp 0.107's
/// own step: each double passed to an in-place op becomes a <see cref="Scalar"/> that a garbage collection can free
/// while libtorch reads it). The update is TorchSharp 0.107's line for line, including the decoupled decay
/// <c>mul_(1 - lr * weight_decay)</c> it applies even when the decay is 0 and the hidden conversion in
/// <c>tensor / Math.Sqrt(bias_correction2)</c>, with every scalar created once per parameter step and disposed after its
/// last native call. Same state and the same class name, so checkpoints read and write as before.
/// </summary>
internal sealed class AdamW : TorchSharp.Modules.AdamW
{
    public AdamW(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = group.Options;
        double beta1 = o.beta1!.Value, beta2 = o.beta2!.Value, weightDecay = o.weight_decay!.Value, lr = o.LearningRate!.Value;
        bool amsgrad = o.amsgrad!.Value, maximize = o.maximize!.Value;
        using var beta1Scalar = beta1.ToScalar();
        using var beta2Scalar = beta2.ToScalar();
        using var oneMinusBeta1 = (1.0 - beta1).ToScalar();
        using var oneMinusBeta2 = (1.0 - beta2).ToScalar();
        using var decayFactor = (1.0 - lr * weightDecay).ToScalar();
        using var eps = o.eps!.Value.ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null) continue;
            if (maximize) grad = grad.neg();
            state.step++;
            parameter.mul_(decayFactor);
            double biasCorrection1 = 1.0 - Math.Pow(beta1, state.step);
            double biasCorrection2 = 1.0 - Math.Pow(beta2, state.step);
            state.exp_avg.mul_(beta1Scalar).add_(grad, oneMinusBeta1);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
            using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
            Tensor denom;
            if (amsgrad)
            {
                var previous = state.max_exp_avg_sq;
                state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                previous.Dispose();
                denom = state.max_exp_avg_sq.sqrt().div(sqrtBiasCorrection2).add_(eps);
            }
            else
            {
                denom = state.exp_avg_sq.sqrt().div(sqrtBiasCorrection2).add_(eps);
            }
            double stepSize = lr / biasCorrection1;
            using var minusStepSize = (0.0 - stepSize).ToScalar();
            parameter.addcdiv_(state.exp_avg, denom, minusStepSize);
        }
    }, closure);
}
