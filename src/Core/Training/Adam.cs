using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// TorchSharp's Adam with a step that owns its scalars (see <see cref="RMSProp"/> for the race in TorchSharp 0.107's
/// own step: each double passed to an in-place op becomes a <see cref="Scalar"/> that a garbage collection can free
/// while libtorch reads it). The update is TorchSharp 0.107's line for line, including the hidden conversions
/// (<c>tensor / Math.Sqrt(bias_correction2)</c> divides by a scalar), with every scalar created once per parameter
/// step and disposed after its last native call. Same state and the same class name, so checkpoints (which record the
/// optimizer's type name) read and write as before.
/// </summary>
internal sealed class Adam : TorchSharp.Modules.Adam
{
    public Adam(IEnumerable<Parameter> parameters, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad = false, bool maximize = false)
        : base(parameters, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = group.Options;
        double weightDecay = o.weight_decay!.Value;
        bool maximize = o.maximize!.Value;
        using var moments = new AdamMoments(o.LearningRate!.Value, o.beta1!.Value, o.beta2!.Value, o.eps!.Value, o.amsgrad!.Value);
        using var decay = weightDecay.ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null) continue;
            if (maximize) grad = grad.neg();
            state.step++;
            if (weightDecay != 0.0) grad = grad.add(parameter, decay);
            state.max_exp_avg_sq = moments.Apply(parameter, grad, grad.conj(), state.exp_avg, state.exp_avg_sq, state.max_exp_avg_sq, state.step);
        }
    }, closure);
}
