// TorchSharp's own AdamW is the reference these tests compare ours against (MNC0004).
#pragma warning disable MNC0004
using MnistCnn.Core.Runs;
using MnistCnn.Core.Training;
using TorchSharp.Modules;
using static MnistCnn.Core.Tests.Training.OptimizerParity;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Training;

/// <summary>
/// AdamW's step holds its scalars for the whole native call (<see cref="MnistCnn.Core.Training.AdamW"/>: TorchSharp's own
/// lets a garbage collection free them mid-call). These tests pin that the trainer uses it and that it is the same
/// optimizer: the same weights step for step (exactly) over weight decay, amsgrad and maximize, and state files that
/// TorchSharp's AdamW reads.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public sealed class AdamWTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-3)]
    public void TheTrainersAdamWStepsExactlyLikeTorchSharps(double weightDecay)
    {
        var options = new TrainingOptions { Optimizer = OptimizerKind.AdamW, LearningRate = 0.01, Beta1 = 0.8, Beta2 = 0.95, WeightDecay = weightDecay };
        using var ours = Tiny(4);
        using var theirs = Tiny(4);
        using var ourOptimizer = Optimizers.Create(ours.parameters(), options);
        Assert.IsType<MnistCnn.Core.Training.AdamW>(ourOptimizer);
        using var theirOptimizer = optim.AdamW(theirs.parameters(), 0.01, 0.8, 0.95, options.Epsilon, weightDecay);
        AssertSameSteps(ours, ourOptimizer, theirs, theirOptimizer, 4, $"weight decay {weightDecay}");
    }

    [Theory]
    [InlineData(true, false, 0.0)]
    [InlineData(false, true, 0.0)]
    [InlineData(true, true, 1e-2)]
    public void AmsgradAndMaximizeStepExactlyLikeTorchSharps(bool amsgrad, bool maximize, double weightDecay)
    {
        using var ours = Tiny(6);
        using var theirs = Tiny(6);
        using var ourOptimizer = new MnistCnn.Core.Training.AdamW(ours.parameters(), 0.02, 0.9, 0.99, 1e-6, weightDecay, amsgrad, maximize);
        using var theirOptimizer = optim.AdamW(theirs.parameters(), 0.02, 0.9, 0.99, 1e-6, weightDecay, amsgrad, maximize);
        AssertSameSteps(ours, ourOptimizer, theirs, theirOptimizer, 6, $"amsgrad {amsgrad}, maximize {maximize}, weight decay {weightDecay}");
    }

    [Fact]
    public void ItsStateFileIsTorchSharpsAdamWStateFile()
    {
        using var ours = Tiny(5);
        using var ourOptimizer = new MnistCnn.Core.Training.AdamW(ours.parameters(), 0.01, 0.9, 0.999, 1e-7, 0, amsgrad: true);
        using var theirs = Tiny(5);
        using var theirOptimizer = optim.AdamW(theirs.parameters(), 0.001, amsgrad: true);
        SaveAndLoad(ours, ourOptimizer, theirOptimizer);
        var loaded = theirOptimizer.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
        var saved = ourOptimizer.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
        Assert.Equal(new long[] { 2, 2, 2, 2 }, saved.Select(s => s.step));
        Assert.Equal(saved.Select(s => s.step), loaded.Select(s => s.step));
        Assert.All(saved.Zip(loaded), p => Assert.True(Same(p.First.exp_avg, p.Second.exp_avg) && Same(p.First.exp_avg_sq, p.Second.exp_avg_sq) && Same(p.First.max_exp_avg_sq, p.Second.max_exp_avg_sq)));
        Assert.Contains(saved, s => s.exp_avg_sq.abs().sum().item<float>() > 0);
    }
}
