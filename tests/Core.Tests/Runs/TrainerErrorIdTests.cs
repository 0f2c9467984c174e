using MnistCnn.Core.Data;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Models;
using MnistCnn.Core.Runs;
using MnistCnn.Core.Tests.Models;
using MnistCnn.Core.Training;

namespace MnistCnn.Core.Tests.Runs;

/// <summary>Trainer errors that no other test provokes, each with its own bad input (building a model draws weights: alone).</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class TrainerErrorIdTests
{
    private static ModelSpec Small() => new(InputShape.Mnist, 10, [new FlattenSpec(), new DenseSpec(10, Activation.Softmax)], "small");

    [Fact]
    public void ADatasetWithNoTrainingImagesIsRefusedBeforeTraining()
    {
        var data = SyntheticData.Create(train: 0, test: 16);
        var ex = Assert.Throws<MnistCnnException>(() => new Trainer().Train(Small(), data, new TrainingOptions { Epochs = 1, Device = DeviceKind.Cpu }));
        Assert.Equal((TrainingErrorIds.TrainingDataEmpty, ErrorKind.InvalidArgument), (ex.ErrorId, ex.Kind));
        Assert.Contains("validation split", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOptimizerValueOutsideTheKnownOnesIsNamed()
    {
        // Options validation refuses such a value first (TrainingOptionsInvalid); the optimizer factory checks again
        // because it is the one switch over every optimizer.
        using var network = new CnnModel(Small());
        var ex = Assert.Throws<MnistCnnException>(() => Optimizers.Create(network.parameters(), new TrainingOptions { Optimizer = (OptimizerKind)42 }));
        Assert.Equal((TrainingErrorIds.UnknownOptimizer, ErrorKind.InvalidArgument), (ex.ErrorId, ex.Kind));
        Assert.Contains("42", ex.Message, StringComparison.Ordinal);
    }
}
