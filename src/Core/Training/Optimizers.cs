using MnistCnn.Core.Diagnostics;
using TorchSharp.Modules;

namespace MnistCnn.Core.Training;

/// <summary>
/// The optimizers training uses (RMSprop, Adam, AdamW, SGD), made from <see cref="TrainingOptions"/>. Their steps own
/// their scalars; TorchSharp's own (torch.optim.*) make each step's numbers into Scalars that only the finalizer frees
/// (see <see cref="RMSProp"/>). Code that trains modules of its own (the benchmarks, the GPU check) takes them from here.
/// </summary>
public static class Optimizers
{
    /// <summary>The optimizer <paramref name="options"/> names, with its learning rate, decay and moment settings.</summary>
    public static OptimizerHelper Create(IEnumerable<Parameter> parameters, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        double lr = options.EffectiveLearningRate;
        return options.Optimizer switch
        {
            OptimizerKind.RmsProp => new RMSProp(parameters, lr, options.Rho, options.Epsilon, options.WeightDecay, options.Momentum),
            OptimizerKind.Adam => new Adam(parameters, lr, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay),
            OptimizerKind.AdamW => new AdamW(parameters, lr, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay),
            OptimizerKind.Sgd => new SGD(parameters, lr, options.Momentum, 0, options.WeightDecay, options.Nesterov),
            _ => throw new MnistCnnException(TrainingErrorIds.UnknownOptimizer, ErrorKind.InvalidArgument, $"Unknown optimizer {options.Optimizer}."),
        };
    }
}
