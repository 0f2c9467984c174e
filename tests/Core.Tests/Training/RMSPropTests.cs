// TorchSharp's own RMSprop is the reference these tests compare ours against (MNC0004).
#pragma warning disable MNC0004
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Training;

/// <summary>
/// RMSprop's step holds its scalars for the whole native call (<see cref="MnistCnn.Core.Training.RMSProp"/>: TorchSharp's
/// own lets a garbage collection free them mid-call, the rare <c>addcmul_</c> failure of parallel test runs). These
/// tests pin that the trainer uses it and that it is the same optimizer: the same weights step for step, and
/// checkpoints that TorchSharp's RMSprop reads and writes.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public sealed class RMSPropTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.9, 1e-3)]
    public void StepsExactlyLikeTorchSharpsRmsProp(double momentum, double weightDecay)
    {
        var options = new TrainingOptions { Optimizer = OptimizerKind.RmsProp, LearningRate = 0.01, Rho = 0.8, Momentum = momentum, WeightDecay = weightDecay };
        using var ours = OptimizerParity.Tiny(4);
        using var theirs = OptimizerParity.Tiny(4);
        using var ourOptimizer = Optimizers.Create(ours.parameters(), options);
        Assert.IsType<MnistCnn.Core.Training.RMSProp>(ourOptimizer);
        using var theirOptimizer = optim.RMSProp(theirs.parameters(), 0.01, alpha: 0.8, eps: options.Epsilon, weight_decay: weightDecay, momentum: momentum);
        OptimizerParity.AssertSameSteps(ours, ourOptimizer, theirs, theirOptimizer, 4, $"momentum {momentum}, weight decay {weightDecay}");
    }

    [Fact]
    public void ItsStateFileIsTorchSharpsRmsPropStateFile()
    {
        var file = Path.Combine(Path.GetTempPath(), $"mnistcnn-rmsprop-{Guid.NewGuid():N}.bin");
        try
        {
            using var ours = OptimizerParity.Tiny(5);
            using var ourOptimizer = Optimizers.Create(ours.parameters(), new TrainingOptions { Optimizer = OptimizerKind.RmsProp, Momentum = 0.5 });
            OptimizerParity.Backward(ours, 0);
            ourOptimizer.step();
            ourOptimizer.save_state_dict(file);

            using var theirs = OptimizerParity.Tiny(5);
            using var theirOptimizer = optim.RMSProp(theirs.parameters(), 0.001, momentum: 0.5);
            theirOptimizer.load_state_dict(file);
            var loaded = theirOptimizer.state_dict().State.Cast<TorchSharp.Modules.RMSProp.State>().ToList();
            var saved = ((OptimizerHelper)ourOptimizer).state_dict().State.Cast<TorchSharp.Modules.RMSProp.State>().ToList();
            Assert.Equal(saved.Select(s => s.step), loaded.Select(s => s.step));
            Assert.All(saved.Zip(loaded), p => Assert.True(OptimizerParity.Same(p.First.square_avg, p.Second.square_avg) && OptimizerParity.Same(p.First.momentum_buffer, p.Second.momentum_buffer)));
            Assert.Contains(saved, s => s.square_avg.abs().sum().item<float>() > 0);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
