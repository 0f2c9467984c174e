using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Training;

/// <summary>
/// TorchSharp's SGD with a step that owns its scalars (see <see cref="RMSProp"/> for the race in TorchSharp 0.107's
/// own step: each double passed to an in-place op becomes a <see cref="Scalar"/> that a garbage collection can free
/// while libtorch reads it). The update is TorchSharp 0.107's line for line (weight decay on the gradient, a momentum
/// buffer that starts as a copy of the first gradient, dampening, Nesterov, maximize as the sign of the learning rate),
/// with every scalar created once per step and disposed after its last native call. Same state and the same class
/// name, so checkpoints read and write as before.
/// </summary>
internal sealed class SGD : TorchSharp.Modules.SGD
{
    public SGD(IEnumerable<Parameter> parameters, double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize = false)
        : base(parameters, lr, momentum, dampening, weightDecay, nesterov, maximize)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = group.Options;
        double momentum = o.momentum!.Value, dampening = o.dampening!.Value, weightDecay = o.weight_decay!.Value, lr = o.LearningRate!.Value;
        bool nesterov = o.nesterov!.Value, maximize = o.maximize!.Value;
        using var decay = weightDecay.ToScalar();
        using var momentumScalar = momentum.ToScalar();
        using var oneMinusDampening = (1.0 - dampening).ToScalar();
        using var signedLr = (maximize ? lr : 0.0 - lr).ToScalar();
        foreach (var parameter in group.Parameters)
        {
            var state = (State)_state[parameter.Handle];
            var grad = parameter.grad;
            if (grad is null) continue;
            if (weightDecay != 0.0) grad = grad.add(parameter, decay);
            if (momentum != 0.0)
            {
                var buffer = state.momentum_buffer;
                if (buffer is null)
                {
                    buffer = state.momentum_buffer = grad.clone().detach().DetachFromDisposeScope();
                }
                else
                {
                    buffer.mul_(momentumScalar).add_(grad, oneMinusDampening);
                }
                grad = nesterov ? grad.add(buffer, momentumScalar) : buffer;
                state.momentum_buffer = buffer;
            }
            parameter.add_(grad, signedLr);
        }
    }, closure);
}
