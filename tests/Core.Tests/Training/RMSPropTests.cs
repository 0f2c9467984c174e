using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
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
public sealed class RMSPropTests
{
    private static CnnModel Tiny(int seed)
    {
        manual_seed(seed);
        return new CnnModel(new ModelSpec(new InputShape(4, 4, 1), 3, new LayerSpec[] { new FlattenSpec(), new DenseSpec(5), new DenseSpec(3, Activation.Softmax) }, "tiny"));
    }

    private static void Backward(CnnModel network, int step)
    {
        using var scope = NewDisposeScope();
        network.zero_grad(set_to_none: true);
        var x = arange(2 * 16, dtype: ScalarType.Float32).reshape(2, 1, 4, 4).div(10 + step);
        nn.functional.cross_entropy(network.forward(x), tensor(new long[] { step % 3, (step + 1) % 3 })).backward();
    }

    private static bool Same(Tensor a, Tensor b)
    {
        using var equal = a.eq(b).all();
        return equal.item<bool>();
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.9, 1e-3)]
    public void StepsExactlyLikeTorchSharpsRmsProp(double momentum, double weightDecay)
    {
        var options = new TrainingOptions { Optimizer = OptimizerKind.RmsProp, LearningRate = 0.01, Rho = 0.8, Momentum = momentum, WeightDecay = weightDecay };
        using var ours = Tiny(4);
        using var theirs = Tiny(4);
        using var ourOptimizer = Trainer.CreateOptimizer(ours, options);
        Assert.IsType<MnistCnn.Core.Training.RMSProp>(ourOptimizer);
        using var theirOptimizer = optim.RMSProp(theirs.parameters(), 0.01, alpha: 0.8, eps: options.Epsilon, weight_decay: weightDecay, momentum: momentum);
        for (int step = 0; step < 5; step++)
        {
            Backward(ours, step);
            Backward(theirs, step);
            ourOptimizer.step();
            theirOptimizer.step();
        }
        foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
        {
            Assert.True(Same(a, b), $"momentum {momentum}, weight decay {weightDecay}: the weights differ from TorchSharp's RMSprop after 5 steps");
        }
        using var start = Tiny(4);
        Assert.False(ours.parameters().Zip(start.parameters()).All(p => Same(p.First, p.Second)), "the steps should have moved the weights");
    }

    [Fact]
    public void ItsStateFileIsTorchSharpsRmsPropStateFile()
    {
        var file = Path.Combine(Path.GetTempPath(), $"mnistcnn-rmsprop-{Guid.NewGuid():N}.bin");
        try
        {
            using var ours = Tiny(5);
            using var ourOptimizer = Trainer.CreateOptimizer(ours, new TrainingOptions { Optimizer = OptimizerKind.RmsProp, Momentum = 0.5 });
            Backward(ours, 0);
            ourOptimizer.step();
            ourOptimizer.save_state_dict(file);

            using var theirs = Tiny(5);
            using var theirOptimizer = optim.RMSProp(theirs.parameters(), 0.001, momentum: 0.5);
            theirOptimizer.load_state_dict(file);
            var loaded = theirOptimizer.state_dict().State.Cast<TorchSharp.Modules.RMSProp.State>().ToList();
            var saved = ((OptimizerHelper)ourOptimizer).state_dict().State.Cast<TorchSharp.Modules.RMSProp.State>().ToList();
            Assert.Equal(saved.Select(s => s.step), loaded.Select(s => s.step));
            Assert.All(saved.Zip(loaded), p => Assert.True(Same(p.First.square_avg, p.Second.square_avg) && Same(p.First.momentum_buffer, p.Second.momentum_buffer)));
            Assert.Contains(saved, s => s.square_avg.abs().sum().item<float>() > 0);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
