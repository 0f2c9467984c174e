using TorchSharp;
using MnistCnn.Core.Data;
using MnistCnn.Core.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MnistCnn.Core.Tests.Training;

/// <summary>
/// Shared steps of the optimizer parity tests (<see cref="RMSPropTests"/>, <see cref="AdamTests"/>, <see cref="AdamWTests"/>, <see cref="SgdTests"/>):
/// a tiny network, a deterministic gradient per step, and an element-for-element comparison of two networks after the
/// same steps under two optimizers.
/// </summary>
internal static class OptimizerParity
{
    public static CnnModel Tiny(int seed)
    {
        manual_seed(seed);
        return new CnnModel(new ModelSpec(new InputShape(4, 4, 1), 3, new LayerSpec[] { new FlattenSpec(), new DenseSpec(5), new DenseSpec(3, Activation.Softmax) }, "tiny"));
    }

    public static void Backward(CnnModel network, int step)
    {
        using var scope = NewDisposeScope();
        network.zero_grad(set_to_none: true);
        using var zero = 0.ToScalar();
        using var one = 1.ToScalar();
        using var count = (2 * 16).ToScalar();
        using var divisor = (10 + step).ToScalar();
        var x = arange(zero, count, one, dtype: ScalarType.Float32).reshape(2, 1, 4, 4).div(divisor);
        nn.functional.cross_entropy(network.forward(x), tensor(new long[] { step % 3, (step + 1) % 3 })).backward();
    }

    public static bool Same(Tensor a, Tensor b)
    {
        using var equal = a.eq(b).all();
        return equal.item<bool>();
    }

    /// <summary>
    /// Steps <paramref name="ours"/> and <paramref name="theirs"/> (two copies of the same network) five times on the same
    /// gradients and asserts every weight equal, and that the steps moved the weights at all.
    /// </summary>
    public static void AssertSameSteps(CnnModel ours, OptimizerHelper ourOptimizer, CnnModel theirs, OptimizerHelper theirOptimizer, int seed, string setting)
    {
        for (int step = 0; step < 5; step++)
        {
            Backward(ours, step);
            Backward(theirs, step);
            ourOptimizer.step();
            theirOptimizer.step();
        }
        foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
        {
            Assert.True(Same(a, b), $"{setting}: the weights differ from TorchSharp's optimizer after 5 steps");
        }
        using var start = Tiny(seed);
        Assert.False(ours.parameters().Zip(start.parameters()).All(p => Same(p.First, p.Second)), $"{setting}: the steps should have moved the weights");
    }

    /// <summary>Saves <paramref name="ourOptimizer"/>'s state after two steps and loads it into <paramref name="theirOptimizer"/>.</summary>
    public static void SaveAndLoad(CnnModel ours, OptimizerHelper ourOptimizer, OptimizerHelper theirOptimizer)
    {
        var file = Path.Combine(Path.GetTempPath(), $"mnistcnn-optimizer-{Guid.NewGuid():N}.bin");
        try
        {
            for (int step = 0; step < 2; step++)
            {
                Backward(ours, step);
                ourOptimizer.step();
            }
            ourOptimizer.save_state_dict(file);
            theirOptimizer.load_state_dict(file);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
