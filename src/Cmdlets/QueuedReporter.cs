using System.Collections.Concurrent;
using System.Management.Automation;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// Collects Core's warnings and verbose lines from any thread; the cmdlet writes them out on its pipeline thread
/// with <see cref="Drain"/> after each synchronous Core call. (Long work that also reports progress uses
/// <see cref="PipelineReporter"/>, which pumps while the work runs.)
/// </summary>
internal sealed class QueuedReporter : IReporter
{
    private readonly ConcurrentQueue<(bool Warning, string Text)> messages = new();

    public void Progress(ProgressInfo progress) { }

    public void Warning(string message) => messages.Enqueue((true, message));

    public void Verbose(string message) => messages.Enqueue((false, message));

    public void Drain(Cmdlet cmdlet)
    {
        while (messages.TryDequeue(out var m))
        {
            if (m.Warning) cmdlet.WriteWarning(m.Text);
            else cmdlet.WriteVerbose(m.Text);
        }
    }
}
