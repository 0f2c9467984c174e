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
        double lr = o.LearningRate!.Value;
        bool maximize = o.maximize!.Value;
        using var moments = new AdamMoments(lr, o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.amsgrad!.Value);
        using var decayFactor = (1.0 - lr * o.weight_decay!.Value).ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null) continue;
            if (maximize) grad = grad.neg();
            state.step++;
            parameter.mul_(decayFactor);
            state.max_exp_avg_sq = moments.Apply(parameter, grad, grad, state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq, state.step);
        }
    }, closure);
}
