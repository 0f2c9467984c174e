using System.Collections.Concurrent;
using System.Management.Automation;
using MnistCnn.Core.Diagnostics;

namespace MnistCnn.Cmdlets;

/// <summary>
/// Runs Core work on a worker thread while the cmdlet's pipeline thread writes its progress, warnings, verbose
/// lines and intermediate records: PowerShell only accepts those from the pipeline thread. Ctrl+C
/// (StopProcessing) cancels the token the work receives.
/// </summary>
internal sealed class PipelineReporter : IReporter, IDisposable
{
    private readonly BlockingCollection<Action<Cmdlet>> queue = new();
    private readonly CancellationTokenSource cancellation = new();
    private readonly int progressBase;

    public PipelineReporter(int progressBase = 0) => this.progressBase = progressBase;

    public CancellationToken Token => cancellation.Token;

    public void Cancel() => cancellation.Cancel();

    public void Progress(ProgressInfo progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        Post(c =>
        {
            var record = new ProgressRecord(progressBase + progress.Id, progress.Activity, string.IsNullOrEmpty(progress.Status) ? " " : progress.Status)
            {
                PercentComplete = Math.Clamp(progress.Percent, -1, 100),
                SecondsRemaining = progress.SecondsRemaining,
                RecordType = progress.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            };
            if (progress.ParentId >= 0) record.ParentActivityId = progressBase + progress.ParentId;
            c.WriteProgress(record);
        });
    }

    public void Warning(string message) => Post(c => c.WriteWarning(message));

    public void Verbose(string message) => Post(c => c.WriteVerbose(message));

    /// <summary>Tag of the information records <see cref="Information"/> writes (PSHOST shows them like Write-Host).</summary>
    public const string InformationTag = "MnistCnn.Information";

    public void Information(string message) =>
        Post(c => c.WriteInformation(new InformationRecord(message, (c as PSCmdlet)?.MyInvocation.MyCommand.Name ?? "MnistCnn") { Tags = { "PSHOST", InformationTag } }));

    /// <summary>Queues any pipeline-thread action (e.g. writing an information record).</summary>
    public void Post(Action<Cmdlet> action)
    {
        if (!queue.IsAddingCompleted)
        {
            try
            {
                queue.Add(action);
            }
            catch (InvalidOperationException)
            {
                // Completed meanwhile: the cmdlet has finished; late messages are dropped.
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread, pumping messages on this (pipeline) thread until it ends.</summary>
    public T Run<T>(Cmdlet cmdlet, Func<IReporter, CancellationToken, T> work)
    {
        ArgumentNullException.ThrowIfNull(cmdlet);
        var task = Task.Factory.StartNew(() =>
        {
            try
            {
                return work(this, cancellation.Token);
            }
            finally
            {
                queue.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            foreach (var action in queue.GetConsumingEnumerable())
            {
                try
                {
                    action(cmdlet);
                }
                catch (Exception ex) when (ex is PipelineStoppedException || cmdlet.Stopping)
                {
                    // The pipeline is stopping (Ctrl+C): stop the work; keep draining so it can finish.
                    cancellation.Cancel();
                }
            }
        }
        catch
        {
            // Leaving early must never leave the work running behind the caller's back.
            cancellation.Cancel();
            try
            {
                task.Wait();
            }
            catch (AggregateException)
            {
            }
            throw;
        }
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    public void Dispose()
    {
        queue.Dispose();
        cancellation.Dispose();
    }
}
