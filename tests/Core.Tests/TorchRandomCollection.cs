namespace MnistCnn.Core.Tests;

/// <summary>
/// Tests whose assertions depend on the sequence of libtorch's process-wide random generator: they seed it (directly,
/// or through Trainer.Train's seed) and then compare two models or two trainings that must start from the same
/// weights and draw the same dropout masks, or they seed and draw many models for error cases. A test in another class
/// running at the same time would draw from the same generator between the seeding and the drawing (model weights,
/// dropout, rand), so these run alone, after the parallel classes. Put any new class of that kind here.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandomCollection
{
    public const string Name = "libtorch's random generator";
}
