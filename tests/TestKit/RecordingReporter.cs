using System.Collections.Concurrent;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.TestKit;

internal sealed class RecordingReporter : IReporter
{
    public ConcurrentQueue<ProgressInfo> Progresses { get; } = new();
    public ConcurrentQueue<string> Warnings { get; } = new();
    public ConcurrentQueue<string> Verboses { get; } = new();

    public void Progress(ProgressInfo progress) => Progresses.Enqueue(progress);
    public void Warning(string message) => Warnings.Enqueue(message);
    public void Verbose(string message) => Verboses.Enqueue(message);
}
