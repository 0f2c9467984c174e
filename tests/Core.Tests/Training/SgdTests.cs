// TorchSharp's own SGD is the reference these tests compare ours against (MNC0004).
#pragma warning disable MNC0004
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using TorchSharp.Modules;
using static MnistCnn.Core.Tests.Training.OptimizerParity;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Training;

/// <summary>
/// SGD's step holds its scalars for the whole native call (<see cref="MnistCnn.Core.Training.SGD"/>: TorchSharp's own
/// lets a garbage collection free them mid-call). These tests pin that the trainer uses it and that it is the same
/// optimizer: the same weights step for step (exactly) over momentum, weight decay, Nesterov, dampening and maximize,
/// and state files that TorchSharp's SGD reads.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public sealed class SgdTests
{
    [Theory]
    [InlineData(0.0, 0.0, false)]
    [InlineData(0.0, 1e-2, false)]
    [InlineData(0.9, 0.0, false)]
    [InlineData(0.5, 1e-2, false)]
    [InlineData(0.9, 1e-3, true)]
    public void TheTrainersSgdStepsExactlyLikeTorchSharps(double momentum, double weightDecay, bool nesterov)
    {
        var options = new TrainingOptions { Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, Momentum = momentum, WeightDecay = weightDecay, Nesterov = nesterov };
        using var ours = Tiny(4);
        using var theirs = Tiny(4);
        using var ourOptimizer = Optimizers.Create(ours.parameters(), options);
        Assert.IsType<MnistCnn.Core.Training.SGD>(ourOptimizer);
        using var theirOptimizer = optim.SGD(theirs.parameters(), 0.05, momentum, 0, weightDecay, nesterov);
        AssertSameSteps(ours, ourOptimizer, theirs, theirOptimizer, 4, $"momentum {momentum}, weight decay {weightDecay}, nesterov {nesterov}");
    }

    [Theory]
    [InlineData(0.7, 0.3, false, false)]
    [InlineData(0.7, 0.3, false, true)]
    [InlineData(0.9, 0.0, true, true)]
    [InlineData(0.0, 0.0, false, true)]
    public void DampeningAndMaximizeStepExactlyLikeTorchSharps(double momentum, double dampening, bool nesterov, bool maximize)
    {
        using var ours = Tiny(6);
        using var theirs = Tiny(6);
        using var ourOptimizer = new MnistCnn.Core.Training.SGD(ours.parameters(), 0.03, momentum, dampening, 1e-3, nesterov, maximize);
        using var theirOptimizer = optim.SGD(theirs.parameters(), 0.03, momentum, dampening, 1e-3, nesterov, maximize);
        AssertSameSteps(ours, ourOptimizer, theirs, theirOptimizer, 6, $"momentum {momentum}, dampening {dampening}, nesterov {nesterov}, maximize {maximize}");
    }

    [Fact]
    public void ItsStateFileIsTorchSharpsSgdStateFile()
    {
        using var ours = Tiny(5);
        using var ourOptimizer = Optimizers.Create(ours.parameters(), new TrainingOptions { Optimizer = OptimizerKind.Sgd, LearningRate = 0.05, Momentum = 0.9 });
        using var theirs = Tiny(5);
        using var theirOptimizer = optim.SGD(theirs.parameters(), 0.01, 0.9);
        SaveAndLoad(ours, ourOptimizer, theirOptimizer);
        var loaded = theirOptimizer.state_dict().State.Cast<TorchSharp.Modules.SGD.State>().ToList();
        var saved = ourOptimizer.state_dict().State.Cast<TorchSharp.Modules.SGD.State>().ToList();
        Assert.Equal(4, saved.Count);
        Assert.Equal(saved.Count, loaded.Count);
        Assert.All(saved.Zip(loaded), p => Assert.True(Same(p.First.momentum_buffer, p.Second.momentum_buffer)));
        Assert.Contains(saved, s => s.momentum_buffer.abs().sum().item<float>() > 0);
    }
}
