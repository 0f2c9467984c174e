using MnistCnn.Core.Tracking;
using static MnistCnn.Core.Tests.Tracking.TrackingTestKit;

namespace MnistCnn.Core.Tests.Tracking;

public class SweepParentTests
{
    [Fact]
    public async Task ManyTasksStartingTogether_AgreeOnOneParent_CreatedBeforeAnyChild()
    {
        // A slow runs/create: every task searches, finds nothing and creates its own candidate before any sees another's.
        using var server = new FakeMlflowServer();
        server.Latency["runs/create"] = TimeSpan.FromMilliseconds(300);
        using var tmp = new TempFolder();
        var settings = Settings(server.Uri) with { SweepSettle = TimeSpan.FromMilliseconds(500) };
        const int tasks = 6;
        using var start = new Barrier(tasks);
        var reporter = new RecordingReporter();
        // Enough threads for the clients and the server's handlers, so the tasks really run at once on a small machine.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 4 * tasks), io);
        var chosen = Enumerable.Range(0, tasks).Select(i => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            string? parent = SweepParent.Ensure(settings, "abc123", "the-sweep", reporter: reporter);
            // Each task then starts its trial as a child, as separate processes would.
            using var tracker = new RunTracker(settings with { ParentRunId = SweepParent.RunIdFor("abc123") });
            RunAll(tracker, Start(tmp.Sub($"trial{i}")));
            return parent;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        var parents = await Task.WhenAll(chosen);

        string parentId = Assert.Single(parents.Distinct())!;
        var candidates = server.Runs.Where(r => r.Tags.GetValueOrDefault(RunSynchronizer.RunIdTag) == "sweep-abc123").ToList();
        Assert.True(candidates.Count >= 2, "the race was not exercised: only one candidate was created");
        var parent = Assert.Single(candidates, r => !r.Deleted);
        Assert.Equal(parentId, parent.RunId);
        Assert.Equal("sweep", parent.Tags[SweepParent.KindTag]);
        Assert.Equal("abc123", parent.Tags[SweepParent.SweepIdTag]);

        // Every child carries the one parent from its runs/create on (nothing had to be linked afterwards).
        var children = server.Runs.Where(r => r.Tags.ContainsKey("mlflow.parentRunId")).ToList();
        Assert.Equal(tasks, children.Count);
        Assert.All(children, c => Assert.Equal(parentId, c.Tags["mlflow.parentRunId"]));
        var creates = server.Requests.Where(q => q.Route == "runs/create" && q.Body.Contains("test-run", StringComparison.Ordinal)).ToList();
        Assert.Equal(tasks, creates.Count);
        Assert.All(creates, q => Assert.Contains(parentId, q.Body, StringComparison.Ordinal));
        Assert.Empty(reporter.Warnings);
    }

    [Fact]
    public void ParentFoundAgain_IsNotCreatedTwice()
    {
        using var server = new FakeMlflowServer();
        var settings = Settings(server.Uri) with { SweepSettle = TimeSpan.FromMilliseconds(50) };
        string? first = SweepParent.Ensure(settings, "s1", "sweep");
        string? second = SweepParent.Ensure(settings, "s1", "sweep");
        string? other = SweepParent.Ensure(settings, "s2", "sweep");
        Assert.NotNull(first);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.Equal(2, server.Runs.Count);
    }

    [Fact]
    public void ServerRefusingConnections_FailsAtOnce_WithHowToPublish()
    {
        var settings = Settings(new Uri($"http://127.0.0.1:{FakeMlflowServer.FreePort()}/")) with { RetryDelay = TimeSpan.FromMinutes(5) };
        var reporter = new RecordingReporter();
        Assert.Null(SweepParent.Ensure(settings, "s1", "sweep", "/data/runs/sweep", reporter));
        string warning = Assert.Single(reporter.Warnings);
        Assert.Contains("cannot be reached", warning, StringComparison.Ordinal);
        Assert.Contains("Publish-CnnRun -Path '/data/runs/sweep'", warning, StringComparison.Ordinal);
        Assert.Contains("sweep-s1", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Unauthorized_SaysSo()
    {
        using var server = new FakeMlflowServer(token: "right");
        var reporter = new RecordingReporter();
        Assert.Null(SweepParent.Ensure(Settings(server.Uri) with { Token = "wrong" }, "s1", "sweep", null, reporter));
        string warning = Assert.Single(reporter.Warnings);
        Assert.Contains("401", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", warning, StringComparison.Ordinal);
    }
}
