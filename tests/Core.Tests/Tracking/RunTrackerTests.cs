using System.Text.Json.Nodes;
using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;
using static MnistCnn.Core.Tests.Tracking.TrackingTestKit;

namespace MnistCnn.Core.Tests.Tracking;

public sealed class RunTrackerTests
{
    private static readonly string[] EpochMetrics = ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "epoch_seconds", "images_per_second"];

    [Fact]
    public void NormalRun_LogsEverythingToServerAndJournal()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var run = Start(tmp.Sub("run1"));
        using (var tracker = new RunTracker(Settings(server.Uri), reporter)) RunAll(tracker, run);

        Assert.Empty(reporter.Warnings);
        var exp = Assert.Single(server.Experiments, e => e.Name == "mnist-test");
        var r = Assert.Single(server.Runs);
        Assert.Equal(exp.Id, r.ExperimentId);
        Assert.Equal("FINISHED", r.Status);
        Assert.Equal(run.StartTime.ToUnixTimeMilliseconds(), r.StartTime);
        Assert.NotNull(r.EndTime);
        Assert.Equal("tester", r.UserId);
        Assert.Equal("test-run", r.Name);

        Assert.Equal("test-run", r.Tags["mlflow.runName"]);
        Assert.Equal("tester", r.Tags["mlflow.user"]);
        Assert.Equal("LOCAL", r.Tags["mlflow.source.type"]);
        Assert.Equal(run.RunId, r.Tags[RunSynchronizer.RunIdTag]);

        Assert.Equal("64", r.Params["batch_size"]);
        Assert.Equal("3", r.Params["epochs"]);
        Assert.Equal("rmsprop", r.Params["optimizer"]);
        Assert.Equal("0.001", r.Params["learning_rate"]);
        Assert.Equal("conv2d", r.Params["model.layers.0.type"]);
        Assert.Equal("32", r.Params["model.layers.0.filters"]);
        Assert.Equal("relu", r.Params["model.layers.0.activation"]);
        Assert.Equal("Mnist", r.Params["dataset"]);
        Assert.Equal(new string('a', 64), r.Params["dataset.checksum.train-images-idx3-ubyte.gz"]);
        Assert.Equal("cpu", r.Params["device"]);
        Assert.Equal("0.107.0", r.Params["torchsharp.version"]);
        Assert.True(r.Params.ContainsKey("libtorch.version"));
        Assert.True(r.Params.ContainsKey("mnistcnn.version"));

        foreach (var key in EpochMetrics)
        {
            Assert.Equal([1L, 2L, 3L], r.Metrics.Where(m => m.Key == key).Select(m => m.Step).Order().ToArray());
        }
        Assert.Equal(0.985, Assert.Single(r.Metrics, m => m.Key == "test_accuracy").Value);
        Assert.Equal(3, Assert.Single(r.Metrics, m => m.Key == "test_loss").Step);
        Assert.Equal(0.5, r.Metrics.Single(m => m.Key == "loss" && m.Step == 2).Value);

        Assert.Equal(File.ReadAllBytes(Path.Combine(run.OutputPath!, "model", "weights.bin")), r.Artifacts["model/weights.bin"]);
        Assert.Equal(["curves.png", "model/model.json", "model/weights.bin", "result.json", "spec.yaml"], r.Artifacts.Keys.Order(StringComparer.Ordinal).ToArray());

        // Journal: one JSON object per line, increasing sequence numbers, every data event acknowledged.
        string[] lines = File.ReadAllLines(Path.Combine(run.OutputPath!, RunJournal.FileName));
        var seqs = lines.Select(l => (long)JsonNode.Parse(l)!["seq"]!).ToArray();
        Assert.Equal(seqs.Order().ToArray(), seqs);
        Assert.Equal(seqs.Length, seqs.Distinct().Count());
        var state = JournaledRun.From(RunJournal.ReadFile(Path.Combine(run.OutputPath!, RunJournal.FileName)));
        Assert.Equal(0, state.PendingCount(Settings(server.Uri).ServerDisplay));
        Assert.Equal("FINISHED", state.Status);
        Assert.Equal(r.RunId, state.ServerRuns[Settings(server.Uri).ServerDisplay].RunId);
        Assert.Equal(7 * 3 + 2, state.Metrics.Count);
    }

    [Fact]
    public void UserTags_ReachTheServerAndJournal_WithoutReplacingSystemTags()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var run = Start(tmp.Sub("tagged"));
        var settings = Settings(server.Uri) with
        {
            Tags = new Dictionary<string, string> { ["team"] = "vision", ["mlflow.runName"] = "hijack", ["mnistcnn.run_id"] = "x", ["mlflow.note.content"] = "a note" },
        };
        var reporter = new RecordingReporter();
        using (var tracker = new RunTracker(settings, reporter)) RunAll(tracker, run);

        // Reserved tags are refused with one warning that names them, not dropped silently.
        string warning = Assert.Single(reporter.Warnings);
        Assert.Contains("'mlflow.runName', 'mnistcnn.run_id'", warning, StringComparison.Ordinal);
        Assert.Contains("set by MnistCnn itself", warning, StringComparison.Ordinal);
        var r = Assert.Single(server.Runs);
        Assert.Equal("vision", r.Tags["team"]);
        Assert.Equal("a note", r.Tags["mlflow.note.content"]);
        Assert.Equal("test-run", r.Tags["mlflow.runName"]);
        Assert.Equal(run.RunId, r.Tags[RunSynchronizer.RunIdTag]);
        var journal = File.ReadAllText(Path.Combine(run.OutputPath!, RunJournal.FileName));
        Assert.Contains("\"team\"", journal, StringComparison.Ordinal);
        Assert.DoesNotContain("hijack", journal, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("team", true)]
    [InlineData("a/b c-d.e_f", true)]
    [InlineData("", false)]
    [InlineData("a/b:c", true)]
    [InlineData("équipe", true)]
    [InlineData("データ/λ_2", true)]
    [InlineData("bad#key", false)]
    [InlineData("/abs", false)]
    [InlineData("a/../b", false)]
    [InlineData("x//y", false)]
    [InlineData("a/", false)]
    [InlineData("..a", false)]
    [InlineData("a/./b", false)]
    public void TagKeyProblem_FollowsMlflowsRules(string key, bool ok)
    {
        // The same answers as a real MLflow 2.17.2 server on Linux gave to runs/set-tag.
        Assert.Equal(ok, TrackingSettings.TagKeyProblem(key) is null);
        Assert.Equal(ok, MlflowLimits.IsValidKey(key));
        Assert.False(TrackingSettings.TagKeyProblem(new string('k', 251)) is null);
    }

    [Fact]
    public void TagKeys_OneRule_ValidKeysAreLoggedAsTheyAre()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        using (var recorder = RunRecorder.Start(Settings(server.Uri), tmp.Sub("keys"), "keys-run", "keys", DateTimeOffset.UtcNow, reporter))
        {
            recorder.SetTags([new("équipe", "vision"), new("a/b:c", "x")]);
            recorder.LogParams([new("bad#key", "1")]);
            Assert.True(recorder.End(RunStatus.Finished, DateTimeOffset.UtcNow));
        }
        var r = Assert.Single(server.Runs);
        Assert.Equal("vision", r.Tags["équipe"]);
        Assert.Equal("x", r.Tags["a/b:c"]);
        Assert.Equal("1", r.Params["bad_key"]);
        Assert.Contains(reporter.Warnings, w => w.Contains("bad#key", StringComparison.Ordinal));
        Assert.DoesNotContain(reporter.Warnings, w => w.Contains("équipe", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Requests, q => q.Status == 400);
    }

    [Fact]
    public void FailedAndKilledRuns_SetStatusAndErrorTag()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var run = Start(tmp.Sub("failed"));
        using (var tracker = new RunTracker(Settings(server.Uri), new RecordingReporter()))
        {
            tracker.RunStarted(run);
            tracker.EpochCompleted(run, Epoch(1));
            tracker.RunEnded(run, Result(run, [Epoch(1)], RunStatus.Failed, "CUDA out of memory"));
        }
        var killedRun = Start(tmp.Sub("killed"));
        using (var tracker = new RunTracker(Settings(server.Uri), new RecordingReporter()))
        {
            tracker.RunStarted(killedRun);
            tracker.RunEnded(killedRun, Result(killedRun, [], RunStatus.Killed));
        }
        var failed = server.RunByTag(run.RunId)!;
        Assert.Equal("FAILED", failed.Status);
        Assert.Equal("CUDA out of memory", failed.Tags["mnistcnn.error"]);
        Assert.Equal("KILLED", server.RunByTag(killedRun.RunId)!.Status);
    }

    [Fact]
    public void ServerDownAtStart_TrainingGoesOn_OneWarning_ThenPublishWithoutDuplicates()
    {
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var offline = Settings(new Uri($"http://127.0.0.1:{FakeMlflowServer.FreePort()}/")) with { FlushTimeout = TimeSpan.FromMilliseconds(300) };
        var run = Start(tmp.Sub("offline"));
        using (var tracker = new RunTracker(offline, reporter)) RunAll(tracker, run);

        string warning = Assert.Single(reporter.Warnings);
        Assert.Contains("Publish-CnnRun -Path", warning, StringComparison.Ordinal);
        Assert.Contains(run.OutputPath!, warning, StringComparison.Ordinal);
        var journaled = JournaledRun.From(RunJournal.ReadFile(Path.Combine(run.OutputPath!, RunJournal.FileName)));
        Assert.Equal(23, journaled.Metrics.Count);
        Assert.Equal("FINISHED", journaled.Status);
        Assert.Empty(journaled.ServerRuns);

        using var server = new FakeMlflowServer();
        var settings = Settings(server.Uri);
        PublishResult first, second, forced;
        using (var publisher = new RunPublisher(settings, reporter))
        {
            first = publisher.Publish(run.OutputPath!);
            second = publisher.Publish(run.OutputPath!);
            forced = publisher.Publish(run.OutputPath!, force: true);
        }
        Assert.Equal("Created", first.Outcome);
        Assert.Equal(23, first.MetricsSent);
        Assert.Equal(0, first.Pending);
        Assert.Equal("UpToDate", second.Outcome);
        Assert.Equal(0, forced.MetricsSent + forced.ParamsSent + forced.ArtifactsSent);

        var r = Assert.Single(server.Runs);
        Assert.Equal(23, r.Metrics.Count);
        Assert.Equal("FINISHED", r.Status);
        Assert.Equal(journaled.EndTime, r.EndTime);
        Assert.Equal(run.StartTime.ToUnixTimeMilliseconds(), r.StartTime);
        Assert.Equal(5, r.Artifacts.Count);
        Assert.Equal(journaled.Params.Count, r.Params.Count);
    }

    [Fact]
    public void ServerRefusingConnections_IsNotWaitedFor_AtTheEndOfEachRun()
    {
        // The default 30 s flush timeout and long back-off: a run that waited them out would end TimedOut.
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var offline = Settings(new Uri($"http://127.0.0.1:{FakeMlflowServer.FreePort()}/")) with
        {
            FlushTimeout = TimeSpan.FromMinutes(2),
            RetryDelay = TimeSpan.FromMinutes(1),
        };
        var run = Start(tmp.Sub("refused"));
        RunRecorder recorder;
        using (var tracker = new RunTracker(offline, reporter))
        {
            RunAll(tracker, run);
            recorder = tracker.Recorder!;
        }
        Assert.True(recorder.Outcome == FlushOutcome.Unreachable, string.Join("\n", reporter.All));
        string warning = Assert.Single(reporter.Warnings);
        Assert.Contains("cannot be reached", warning, StringComparison.Ordinal);
        Assert.Contains($"Publish-CnnRun -Path '{run.OutputPath}'", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(reporter.All, m => m.Contains("within", StringComparison.Ordinal));
        var journaled = JournaledRun.From(RunJournal.ReadFile(Path.Combine(run.OutputPath!, RunJournal.FileName)));
        Assert.Equal("FINISHED", journaled.Status);
        Assert.Equal(23, journaled.Metrics.Count);
    }

    [Fact]
    public void Unauthorized_SaysSo_AndIsNotReportedAsATimeout()
    {
        using var server = new FakeMlflowServer(token: "right-token");
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var run = Start(tmp.Sub("unauthorized"));
        RunRecorder recorder;
        using (var tracker = new RunTracker(Settings(server.Uri) with { Token = "wrong-token", FlushTimeout = TimeSpan.FromMinutes(2) }, reporter))
        {
            RunAll(tracker, run);
            recorder = tracker.Recorder!;
        }
        Assert.Equal(FlushOutcome.Stopped, recorder.Outcome);
        string warning = Assert.Single(reporter.Warnings);
        Assert.Contains("401", warning, StringComparison.Ordinal);
        Assert.Contains("MLFLOW_TRACKING_TOKEN", warning, StringComparison.Ordinal);
        Assert.Contains("Publish-CnnRun -Path", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(reporter.All, m => m.Contains("within", StringComparison.Ordinal) || m.Contains("wrong-token", StringComparison.Ordinal));
        Assert.Empty(server.Runs);
    }

    [Fact]
    public void ServerDiesMidRunAndComesBack_NothingLostNothingDuplicated()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var run = Start(tmp.Sub("flaky"), options: new TrainingOptions { Epochs = 4, OutputPath = tmp.Sub("flaky") });
        using (var tracker = new RunTracker(Settings(server.Uri), reporter))
        {
            RunAll(tracker, run, epochs: 4, afterEpoch: e =>
            {
                if (e == 1)
                {
                    WaitUntil(() => tracker.Recorder!.PendingCount == 0);
                    server.Down = true;
                }
                if (e == 3)
                {
                    WaitUntil(() => reporter.Verboses.Any(v => v.Contains("lost the MLflow server", StringComparison.Ordinal)));
                    server.Down = false;
                }
            });
        }
        Assert.Empty(reporter.Warnings);
        var r = Assert.Single(server.Runs);
        foreach (var key in EpochMetrics)
        {
            Assert.Equal([1L, 2L, 3L, 4L], r.Metrics.Where(m => m.Key == key).Select(m => m.Step).Order().ToArray());
        }
        Assert.Equal("FINISHED", r.Status);
    }

    [Fact]
    public void LostAcknowledgement_IsReconciled_NotDuplicated()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var run = Start(tmp.Sub("lostack"));
        server.DropResponses("runs/log-batch", 2); // applied by the server, but the client never hears back
        server.DropResponses("runs/create", 1);
        using (var tracker = new RunTracker(Settings(server.Uri), new RecordingReporter())) RunAll(tracker, run);

        var r = Assert.Single(server.Runs);
        Assert.Equal(23, r.Metrics.Count);
        Assert.Equal(r.Metrics.Count, r.Metrics.Select(m => (m.Key, m.Step, m.Timestamp)).Distinct().Count());
        Assert.Equal("FINISHED", r.Status);
    }

    [Fact]
    public void Status503And429_AreRetriedWithBackOff_HonouringRetryAfter()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var delays = new System.Collections.Concurrent.ConcurrentQueue<TimeSpan>();
        var settings = Settings(server.Uri) with
        {
            MaxRetryAfter = TimeSpan.FromSeconds(10),
            MaxAttempts = 5,
            Delay = (d, ct) => { delays.Enqueue(d); return Task.Delay(1, ct); },
        };
        server.FailNext(2, 503, "TEMPORARILY_UNAVAILABLE");
        server.FailNext(1, 429, "REQUEST_LIMIT_EXCEEDED", retryAfter: "7");
        var reporter = new RecordingReporter();
        var run = Start(tmp.Sub("throttled"));
        using (var tracker = new RunTracker(settings, reporter)) RunAll(tracker, run);

        Assert.Empty(reporter.Warnings);
        Assert.Equal(2, server.Requests.Count(q => q.Status == 503));
        Assert.Equal(1, server.Requests.Count(q => q.Status == 429));
        var waits = delays.ToArray();
        Assert.Contains(TimeSpan.FromSeconds(7), waits);
        Assert.Contains(TimeSpan.FromMilliseconds(5), waits);
        Assert.Contains(TimeSpan.FromMilliseconds(10), waits);
        var r = Assert.Single(server.Runs);
        Assert.Equal(23, r.Metrics.Count);
    }

    [Fact]
    public void BadRequest_IsReportedWithServerMessage_AndNotRetried()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var run = Start(tmp.Sub("bad"));
        server.FailNext(1, 400, "INVALID_PARAMETER_VALUE", route: "runs/log-batch");
        using (var tracker = new RunTracker(Settings(server.Uri), reporter)) RunAll(tracker, run);

        var rejected = Assert.Single(server.Requests, q => q.Status == 400);
        Assert.Single(server.Requests, q => q.Body == rejected.Body); // never sent again
        string warning = Assert.Single(reporter.Warnings);
        Assert.Contains("INVALID_PARAMETER_VALUE", warning, StringComparison.Ordinal);
        Assert.Contains("Injected failure 400", warning, StringComparison.Ordinal);
        Assert.Equal("FINISHED", Assert.Single(server.Runs).Status);
    }

    [Fact]
    public void Limits_ValuesShortenedVisibly_KeysSanitised_ManyParamsSplit_NonFiniteMetricsKept()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var settings = Settings(server.Uri);
        using (var recorder = RunRecorder.Start(settings, tmp.Sub("limits"), "limits-run", "limits", DateTimeOffset.UtcNow, reporter))
        {
            recorder.LogParams(Enumerable.Range(0, 250).Select(i => new KeyValuePair<string, string>($"p{i:000}", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
            recorder.LogParams([new("long", new string('x', 7000)), new("bad key?", "1")]);
            recorder.LogParams([new("p001", "changed")]);
            recorder.SetTags([new("note", new string('y', 9000))]);
            recorder.LogMetrics([new("nan_metric", double.NaN), new("inf_metric", double.PositiveInfinity), new("neg_inf", double.NegativeInfinity)], 1);
            for (int step = 2; step < 502; step++)
            {
                recorder.LogMetrics([new("m0", step), new("m1", step), new("m2", step)], step);
            }
            Assert.True(recorder.End(RunStatus.Finished, DateTimeOffset.UtcNow));
        }
        var r = Assert.Single(server.Runs);
        Assert.Equal(252, r.Params.Count);
        Assert.Equal(6000, r.Params["long"].Length);
        Assert.Equal("1", r.Params["bad key_"]);
        Assert.Equal("1", r.Params["p001"]);
        Assert.Equal(8000, r.Tags["note"].Length);
        Assert.True(double.IsNaN(r.Metrics.Single(m => m.Key == "nan_metric").Value));
        Assert.Equal(double.PositiveInfinity, r.Metrics.Single(m => m.Key == "inf_metric").Value);
        Assert.Equal(double.NegativeInfinity, r.Metrics.Single(m => m.Key == "neg_inf").Value);
        Assert.Equal(1503, r.Metrics.Count);
        Assert.Contains(reporter.Warnings, w => w.Contains("'long'", StringComparison.Ordinal) && w.Contains("6000", StringComparison.Ordinal));
        Assert.Contains(reporter.Warnings, w => w.Contains("'note'", StringComparison.Ordinal) && w.Contains("8000", StringComparison.Ordinal));
        Assert.Contains(reporter.Warnings, w => w.Contains("bad key?", StringComparison.Ordinal));
        Assert.Contains(reporter.Warnings, w => w.Contains("p001", StringComparison.Ordinal) && w.Contains("write-once", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Requests, q => q.Status == 400);
        Assert.True(server.Requests.Count(q => q.Route == "runs/log-batch") >= 3);
    }

    [Fact]
    public void Secrets_NeverWrittenOrReported()
    {
        const string token = "tok-SECRET-4f9a2c71e0";
        using var server = new FakeMlflowServer(token: token);
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var env = new Dictionary<string, string?> { ["MLFLOW_TRACKING_URI"] = server.Uri.ToString(), ["MLFLOW_TRACKING_TOKEN"] = token, ["MLFLOW_EXPERIMENT_NAME"] = "secret-exp" };
        var resolved = TrackingSettings.Resolve(environment: k => env.GetValueOrDefault(k), reporter: reporter);
        var settings = Settings(resolved.TrackingUri, resolved.Experiment) with { Token = resolved.Token };
        var run = Start(tmp.Sub("secret"));
        using (var tracker = new RunTracker(settings, reporter)) RunAll(tracker, run);
        Assert.Equal("FINISHED", Assert.Single(server.Runs).Status);
        Assert.All(server.Requests, q => Assert.Equal("Bearer " + token, q.Authorization));

        // A wrong password in the URI: auth fails, and the password shows up nowhere.
        const string password = "pw-SECRET-88c1d";
        using var basic = new FakeMlflowServer(user: "alice", password: "right-one");
        var wrong = TrackingSettings.Resolve($"http://alice:{password}@127.0.0.1:{basic.Port}/", "exp", reporter, _ => null);
        Assert.Equal("alice", wrong.Username);
        Assert.DoesNotContain(password, wrong.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, wrong.ServerDisplay, StringComparison.Ordinal);
        var run2 = Start(tmp.Sub("secret2"));
        var errorsBefore = reporter.Warnings.Count;
        using (var tracker = new RunTracker(Settings(wrong.TrackingUri, "exp") with { Username = wrong.Username, Password = wrong.Password }, reporter)) RunAll(tracker, run2);
        Assert.True(reporter.Warnings.Count > errorsBefore);
        Assert.Contains(reporter.Warnings, w => w.Contains("401", StringComparison.Ordinal));

        foreach (var file in Directory.EnumerateFiles(tmp.Path, "*", SearchOption.AllDirectories))
        {
            string text = File.ReadAllText(file);
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        }
        foreach (var message in reporter.All)
        {
            Assert.DoesNotContain(token, message, StringComparison.Ordinal);
            Assert.DoesNotContain(password, message, StringComparison.Ordinal);
        }
        foreach (var r in server.Runs)
        {
            Assert.DoesNotContain(r.Params.Values.Concat(r.Tags.Values), v => v.Contains(token, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void UnsupportedArtifactStore_Warns_ParamsAndMetricsStillLogged()
    {
        using var server = new FakeMlflowServer { ArtifactLocationFormat = "s3://bucket/mlruns/{0}" };
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var run = Start(tmp.Sub("s3"));
        using (var tracker = new RunTracker(Settings(server.Uri), reporter)) RunAll(tracker, run);
        string warning = Assert.Single(reporter.Warnings);
        Assert.Contains("s3://bucket", warning, StringComparison.Ordinal);
        Assert.Contains("mlflow-artifacts", warning, StringComparison.Ordinal);
        var r = Assert.Single(server.Runs);
        Assert.Equal(23, r.Metrics.Count);
        Assert.Equal("FINISHED", r.Status);
        Assert.Empty(r.Artifacts);
    }

    [Fact]
    public void ParentRun_ChildrenGetParentRunIdTag_AlsoWhenPublishedLater()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var settings = Settings(server.Uri);
        using var parent = RunTracker.StartParentRun(settings, tmp.Sub("sweep"), "sweep", [new("grid", "lr")]);
        var child = Start(tmp.Sub("sweep/child1"));
        using (var tracker = new RunTracker(settings with { ParentRunId = parent.RunId })) RunAll(tracker, child);
        parent.End(RunStatus.Finished, DateTimeOffset.UtcNow);

        var parentRun = server.RunByTag(parent.RunId)!;
        Assert.Equal("lr", parentRun.Params["grid"]);
        Assert.Equal("FINISHED", parentRun.Status);
        Assert.Equal(parentRun.RunId, server.RunByTag(child.RunId)!.Tags["mlflow.parentRunId"]);

        // Offline sweep, published afterwards from the root folder: parent first, child linked.
        var offline = Settings(new Uri($"http://127.0.0.1:{FakeMlflowServer.FreePort()}/")) with { FlushTimeout = TimeSpan.FromMilliseconds(100) };
        using (var p2 = RunTracker.StartParentRun(offline, tmp.Sub("sweep2"), "sweep2"))
        {
            using (var t2 = new RunTracker(offline with { ParentRunId = p2.RunId })) RunAll(t2, Start(tmp.Sub("sweep2/b-child")));
            p2.End(RunStatus.Finished, DateTimeOffset.UtcNow);
        }
        var folders = RunPublisher.FindRunFolders(tmp.Sub("sweep2"));
        Assert.Equal(tmp.Sub("sweep2"), folders[0]);
        using (var publisher = new RunPublisher(settings))
        {
            foreach (var f in folders) Assert.Equal("Created", publisher.Publish(f).Outcome);
        }
        var p2Run = server.Runs.Single(r => r.Name == "sweep2");
        Assert.Equal(p2Run.RunId, server.Runs.Single(r => r.Tags.GetValueOrDefault("mlflow.parentRunId") == p2Run.RunId).Tags["mlflow.parentRunId"]);
    }

    [Fact]
    public void ExperimentCreatedConcurrently_IsNotAnError()
    {
        using var server = new FakeMlflowServer { RaceOnCreate = true };
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        using (var tracker = new RunTracker(Settings(server.Uri, "raced"), reporter)) RunAll(tracker, Start(tmp.Sub("race")));
        Assert.Empty(reporter.Warnings);
        Assert.Equal(server.Experiments.Single(e => e.Name == "raced").Id, Assert.Single(server.Runs).ExperimentId);
    }

    [Fact]
    public void RunWithoutOutputFolder_IsTrackedFromMemory()
    {
        using var server = new FakeMlflowServer();
        var reporter = new RecordingReporter();
        using (var tracker = new RunTracker(Settings(server.Uri), reporter)) RunAll(tracker, Start(null));
        Assert.Equal(23, Assert.Single(server.Runs).Metrics.Count);
        Assert.Contains(reporter.Warnings, w => w.Contains("no output folder", StringComparison.Ordinal));
    }

    [Fact]
    public void NoServer_JournalOnly_NoWarnings()
    {
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var run = Start(tmp.Sub("local"));
        using (var tracker = new RunTracker(Settings(null), reporter)) RunAll(tracker, run);
        Assert.Empty(reporter.Warnings);
        var state = JournaledRun.From(RunJournal.ReadFile(Path.Combine(run.OutputPath!, RunJournal.FileName)));
        Assert.Equal(23, state.Metrics.Count);
        Assert.Equal(5, state.Artifacts.Count);
        Assert.Equal("FINISHED", state.Status);
    }

    /// <summary>Stops a run after its first epoch, then resumes it with 5 epochs instead of 3 (as -ResumeFrom -Epochs 5 does).</summary>
    private static RunStartInfo StopThenResumeWithMoreEpochs(TrackingSettings settings, string folder, RecordingReporter reporter)
    {
        var first = Start(folder);
        using (var tracker = new RunTracker(settings, reporter))
        {
            tracker.RunStarted(first);
            tracker.EpochCompleted(first, Epoch(1));
            tracker.RunEnded(first, Result(first, [Epoch(1)], RunStatus.Killed));
        }
        var resumed = Start(folder, first.RunId, new TrainingOptions { Epochs = 5, Seed = 7, OutputPath = folder });
        using (var tracker = new RunTracker(settings, reporter)) RunAll(tracker, resumed, epochs: 5);
        return resumed;
    }

    [Fact]
    public void ResumedWithMoreEpochs_KeepsTheFirstParam_TagsTheNewValue_SaysSoVerbosely()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var run = StopThenResumeWithMoreEpochs(Settings(server.Uri), tmp.Sub("resumed"), reporter);

        Assert.Empty(reporter.Warnings);
        Assert.Contains(reporter.Verboses, v => v.Contains("resumed with epochs = '5'", StringComparison.Ordinal) && v.Contains("started with '3'", StringComparison.Ordinal));
        var r = Assert.Single(server.Runs);
        Assert.Equal("FINISHED", r.Status);
        Assert.Equal("3", r.Params["epochs"]);
        Assert.Equal("5", r.Tags["mnistcnn.resumed.epochs"]);
        Assert.DoesNotContain(r.Tags.Keys, k => k.StartsWith(RunRecorder.ResumedTagPrefix, StringComparison.Ordinal) && k != "mnistcnn.resumed.epochs");
        Assert.DoesNotContain(server.Requests, q => q.Status == 400);
        var journaled = JournaledRun.From(RunJournal.ReadFile(Path.Combine(run.OutputPath!, RunJournal.FileName)));
        Assert.Equal("3", journaled.Params["epochs"]);
        Assert.Equal("5", journaled.Tags["mnistcnn.resumed.epochs"]);
    }

    [Fact]
    public void ResumedWithMoreEpochsOffline_PublishedLater_KeepsTheFirstParam_AndTheTag()
    {
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        var run = StopThenResumeWithMoreEpochs(Settings(null), tmp.Sub("offline-resumed"), reporter);
        Assert.Empty(reporter.Warnings);

        using var server = new FakeMlflowServer();
        PublishResult published;
        using (var publisher = new RunPublisher(Settings(server.Uri), reporter)) published = publisher.Publish(run.OutputPath!);
        Assert.Equal("Created", published.Outcome);
        Assert.Empty(reporter.Warnings);
        var r = Assert.Single(server.Runs);
        Assert.Equal("3", r.Params["epochs"]);
        Assert.Equal("5", r.Tags["mnistcnn.resumed.epochs"]);
        Assert.Equal(5, r.Metrics.Count(m => m.Key == "loss"));
    }

    [Fact]
    public void ParamsLoggedAgainWithAnotherValue_OutsideAResume_StillWarn()
    {
        using var tmp = new TempFolder();
        var reporter = new RecordingReporter();
        using var recorder = RunRecorder.Start(Settings(null), tmp.Sub("params"), "run-params", "params", DateTimeOffset.UtcNow, reporter);
        recorder.LogParams([new("alpha", "1")]);
        recorder.LogParams([new("alpha", "2")]);
        Assert.Contains("Param 'alpha' was already logged as '1'", Assert.Single(reporter.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Publish_OfARunFolderBeingWritten_IsRefusedWithRunFolderInUse_AndTouchesNothing()
    {
        using var tmp = new TempFolder();
        var run = Start(tmp.Sub("busy"));
        using (var tracker = new RunTracker(Settings(null), new RecordingReporter())) RunAll(tracker, run);
        var journalPath = Path.Combine(run.OutputPath!, RunJournal.FileName);
        var journalBefore = File.ReadAllBytes(journalPath);

        using var server = new FakeMlflowServer();
        using var publisher = new RunPublisher(Settings(server.Uri), new RecordingReporter());
        using (MnistCnn.Core.Runs.RunLock.Acquire(run.OutputPath!, "training"))
        {
            var ex = Assert.Throws<MnistCnnException>(() => publisher.Publish(run.OutputPath!));
            Assert.Equal("RunFolderInUse", ex.ErrorId);
            Assert.Equal(ErrorKind.ResourceUnavailable, ex.Kind);
            Assert.Contains($"process {Environment.ProcessId}", ex.Message, StringComparison.Ordinal);
            Assert.Contains("(training, since", ex.Message, StringComparison.Ordinal);
            Assert.Contains("run Publish-CnnRun again", ex.Message, StringComparison.Ordinal);
            Assert.Empty(server.Runs);
            Assert.Equal(journalBefore, File.ReadAllBytes(journalPath));
        }

        // Once the run has let go of its folder, the same call publishes it, and leaves no lock owner behind.
        Assert.Equal("Created", publisher.Publish(run.OutputPath!).Outcome);
        Assert.Single(server.Runs);
        Assert.False(File.Exists(Path.Combine(run.OutputPath!, MnistCnn.Core.Runs.RunFiles.LockOwner)));
    }
}
