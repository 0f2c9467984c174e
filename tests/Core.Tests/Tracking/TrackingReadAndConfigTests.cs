using MnistCnn.Core.Diagnostics;
using MnistCnn.Core.Tracking;
using MnistCnn.Core.Training;
using static MnistCnn.Core.Tests.Tracking.TrackingTestKit;

namespace MnistCnn.Core.Tests.Tracking;

public sealed class TrackingReadAndConfigTests
{
    [Fact]
    public async Task ResultFromServer_RebuildsEpochsTestMetricsAndOptions_ForReports()
    {
        using var server = new FakeMlflowServer();
        using var tmp = new TempFolder();
        var settings = Settings(server.Uri);
        var options = new TrainingOptions { Epochs = 3, Seed = 7, BatchSize = 32, Optimizer = OptimizerKind.Adam, LearningRate = 0.002, OutputPath = tmp.Sub("r") };
        var run = Start(tmp.Sub("r"), options: options);
        TrainingResult trained;
        using (var tracker = new RunTracker(settings)) trained = RunAll(tracker, run);
        var serverRun = Assert.Single(server.Runs);

        var (result, parameters) = await RunReader.ResultFromServerAsync(settings, serverRun.RunId);
        Assert.Equal(run.RunId, result.RunId);
        Assert.Equal(RunStatus.Finished, result.Status);
        Assert.Equal(trained.Epochs, result.Epochs);
        Assert.Equal(0.985, result.TestAccuracy);
        Assert.Equal(0.05, result.TestLoss);
        Assert.Equal(OptimizerKind.Adam, result.Options.Optimizer);
        Assert.Equal(32, result.Options.BatchSize);
        Assert.Equal(0.002, result.Options.LearningRate);
        Assert.Equal(run.Model.ParameterCount, parameters);

        // A sweep report from runs read back from the server.
        var files = MnistCnn.Core.Reporting.SweepReport.Write(tmp.Sub("report"), [new MnistCnn.Core.Reporting.SweepTrial("back", result, null, parameters)], "From MLflow");
        string html = File.ReadAllText(files.Html);
        Assert.Contains("back", html, StringComparison.Ordinal);
        Assert.Contains(run.Model.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), html, StringComparison.Ordinal);
        Assert.NotNull(files.Curves);

        var missing = await Assert.ThrowsAsync<MnistCnnException>(() => RunReader.ResultFromServerAsync(settings, "0123456789abcdef0123456789abcdef"));
        Assert.Equal("RunNotFound", missing.ErrorId);
    }

    [Fact]
    public async Task Reader_FollowsSearchPages_AndPublisherFollowsHistoryPages()
    {
        using var server = new FakeMlflowServer(pageSize: 2);
        using var tmp = new TempFolder();
        var settings = Settings(server.Uri) with { PageSize = 2 };
        for (int i = 0; i < 5; i++)
        {
            using var tracker = new RunTracker(settings);
            RunAll(tracker, Start(tmp.Sub($"runs/r{i}")));
        }
        Assert.Equal(5, server.Runs.Count);

        var runs = await RunReader.FromServerAsync(settings, ["mnist-test"]);
        Assert.Equal(5, runs.Count);
        Assert.True(server.Requests.Count(q => q.Route == "runs/search") >= 3);
        var first = runs[0];
        Assert.Equal(0.985, first.TestAccuracy);
        Assert.Equal(3, first.Epochs);
        Assert.Equal("64", first.Params["batch_size"]);
        Assert.Equal(RunStatus.Finished, first.Status);
        Assert.StartsWith("run-", first.RunId, StringComparison.Ordinal);

        // Forced re-publish of every folder: history read page by page (2 per page), nothing duplicated.
        using (var publisher = new RunPublisher(settings))
        {
            foreach (var folder in RunPublisher.FindRunFolders(tmp.Sub("runs")))
            {
                var result = publisher.Publish(folder, force: true);
                Assert.Equal(0, result.MetricsSent);
                Assert.True(result.AlreadyThere >= 23);
            }
        }
        Assert.True(server.Requests.Count(q => q.Route == "metrics/get-history") > 5 * 9);
        Assert.All(server.Runs, r => Assert.Equal(23, r.Metrics.Count));
        Assert.Equal(5, server.Runs.Count);
    }

    [Fact]
    public void Publish_CompletesARunThatIsPartlyOnTheServer()
    {
        using var server = new FakeMlflowServer(pageSize: 2);
        using var tmp = new TempFolder();
        var settings = Settings(server.Uri) with { PageSize = 2 };
        var run = Start(tmp.Sub("partial"));
        using (var tracker = new RunTracker(settings with { FlushTimeout = TimeSpan.FromMilliseconds(300) }))
        {
            tracker.RunStarted(run);
            tracker.EpochCompleted(run, Epoch(1));
            WaitUntil(() => tracker.Recorder!.PendingCount == 0);
            server.Down = true;
            tracker.EpochCompleted(run, Epoch(2));
            tracker.EpochCompleted(run, Epoch(3));
            WriteRunFiles(run.OutputPath!);
            tracker.RunEnded(run, Result(run, [Epoch(1), Epoch(2), Epoch(3)]));
        }
        Assert.Equal(7, Assert.Single(server.Runs).Metrics.Count);
        Assert.Equal("RUNNING", server.Runs[0].Status);
        server.Down = false;

        var local = Assert.Single(RunReader.FromFolder(tmp.Path));
        Assert.Empty(local.PublishedTo);

        using (var publisher = new RunPublisher(settings))
        {
            var result = publisher.Publish(run.OutputPath!);
            Assert.True(result.Outcome == "Completed", result.Error);
            Assert.Equal(16, result.MetricsSent);
            Assert.Equal(0, result.Pending);
            Assert.Equal("UpToDate", publisher.Publish(run.OutputPath!).Outcome);
        }
        var r = Assert.Single(server.Runs);
        Assert.Equal(23, r.Metrics.Count);
        Assert.Equal("FINISHED", r.Status);
        Assert.Equal(5, r.Artifacts.Count);
        Assert.Equal(Settings(server.Uri).ServerDisplay, Assert.Single(Assert.Single(RunReader.FromFolder(tmp.Path)).PublishedTo));
    }

    [Theory]
    [InlineData("FINISHED", RunStatus.Finished)]
    [InlineData("KILLED", RunStatus.Killed)]
    [InlineData("FAILED", RunStatus.Failed)]
    [InlineData("RUNNING", RunStatus.Running)]
    [InlineData("SCHEDULED", RunStatus.Running)]
    [InlineData("finished", RunStatus.Finished)]
    [InlineData(null, RunStatus.Running)]
    public void StatusNames_MapToTheOneRunStatusEnum_AndBack(string? name, RunStatus status)
    {
        Assert.Equal(status, RunRecorder.ParseStatus(name));
        if (name is "FINISHED" or "KILLED" or "FAILED" or "RUNNING") Assert.Equal(name, RunRecorder.StatusName(status));
    }

    [Fact]
    public void Reader_ReadsRunFolders_WithFinalMetricsSortable()
    {
        using var tmp = new TempFolder();
        var settings = Settings(null);
        foreach (var (name, acc) in new[] { ("a", 0.91), ("b", 0.99), ("c", 0.95) })
        {
            using var rec = RunRecorder.Start(settings, tmp.Sub(name), "id-" + name, name, DateTimeOffset.UtcNow);
            rec.LogParams([new("epochs", "2")]);
            rec.LogMetrics([new("test_accuracy", acc - 0.1)], 1);
            rec.LogMetrics([new("test_accuracy", acc)], 2);
            rec.End(RunStatus.Finished, DateTimeOffset.UtcNow);
        }
        var runs = RunReader.FromFolder(tmp.Path);
        Assert.Equal(["b", "c", "a"], runs.OrderByDescending(r => r.TestAccuracy).Select(r => r.RunName).ToArray());
        Assert.All(runs, r => Assert.Equal(2, r.Epochs));
        Assert.All(runs, r => Assert.Equal(RunStatus.Finished, r.Status));
    }

    [Fact]
    public async Task Reader_UnknownExperiment_IsAClearError()
    {
        using var server = new FakeMlflowServer();
        var ex = await Assert.ThrowsAsync<MnistCnnException>(() => RunReader.FromServerAsync(Settings(server.Uri), ["nope"]));
        Assert.Equal("ExperimentNotFound", ex.ErrorId);
        Assert.Contains("nope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongBasePath_HtmlNotFound_IsExplained()
    {
        using var server = new FakeMlflowServer();
        var settings = Settings(new Uri(server.Uri, "not-mlflow/"));
        var ex = await Assert.ThrowsAsync<MlflowApiException>(() => RunReader.FromServerAsync(settings, ["x"]));
        Assert.Equal(404, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("HTML page", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ExplicitWinsOverEnvironment_AndOnlyHttpIsRemote()
    {
        var env = new Dictionary<string, string?>
        {
            ["MLFLOW_TRACKING_URI"] = "http://env-host:5000",
            ["MLFLOW_EXPERIMENT_NAME"] = "env-exp",
            ["MLFLOW_TRACKING_USERNAME"] = "bob",
            ["MLFLOW_TRACKING_PASSWORD"] = "pw",
            ["MLFLOW_TRACKING_INSECURE_TLS"] = "true",
        };
        var fromEnv = TrackingSettings.Resolve(environment: k => env.GetValueOrDefault(k));
        Assert.Equal("http://env-host:5000", fromEnv.ServerDisplay);
        Assert.Equal("env-exp", fromEnv.Experiment);
        Assert.Equal("bob", fromEnv.Username);
        Assert.True(fromEnv.InsecureTls);
        Assert.DoesNotContain("pw", fromEnv.ToString().Replace("InsecureTls", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var explicitOne = TrackingSettings.Resolve("https://mlflow.example:8443/base", "mine", environment: k => env.GetValueOrDefault(k));
        Assert.Equal("https://mlflow.example:8443/base", explicitOne.ServerDisplay);
        Assert.Equal("mine", explicitOne.Experiment);

        var reporter = new RecordingReporter();
        var fileUri = TrackingSettings.Resolve(environment: k => k == "MLFLOW_TRACKING_URI" ? "file:///tmp/mlruns" : null, reporter: reporter);
        Assert.False(fileUri.IsRemote);
        Assert.Contains("only http(s)", Assert.Single(reporter.Warnings), StringComparison.Ordinal);

        var none = TrackingSettings.Resolve(environment: _ => null);
        Assert.False(none.IsRemote);
        Assert.Equal(TrackingSettings.DefaultExperiment, none.Experiment);

        var ex = Assert.Throws<MnistCnnException>(() => TrackingSettings.Resolve("not a uri", environment: _ => null));
        Assert.Equal("TrackingUriInvalid", ex.ErrorId);
    }

    [Fact]
    public void Keys_AreValidatedLikeMlflow()
    {
        Assert.True(MlflowLimits.IsValidKey("model.layers.0.type"));
        Assert.True(MlflowLimits.IsValidKey("a/b c:d-e_f"));
        Assert.False(MlflowLimits.IsValidKey("/leading"));
        Assert.False(MlflowLimits.IsValidKey("trailing/"));
        Assert.False(MlflowLimits.IsValidKey("a/../b"));
        Assert.False(MlflowLimits.IsValidKey("what?"));
        Assert.False(MlflowLimits.IsValidKey(new string('k', 251)));
        Assert.Equal("what_", MlflowLimits.SanitizeKey("what?"));
        Assert.True(MlflowLimits.IsValidKey(MlflowLimits.SanitizeKey("/a/../b/")));
    }

    [Fact]
    public void GitCommit_IsReadFromRefsPackedRefsAndDetachedHead()
    {
        using var tmp = new TempFolder();
        string sha1 = new('1', 40), sha2 = new('2', 40), sha3 = new('3', 40);
        string git = tmp.Sub(".git");
        Directory.CreateDirectory(Path.Combine(git, "refs", "heads"));
        File.WriteAllText(Path.Combine(git, "HEAD"), "ref: refs/heads/main\n");
        File.WriteAllText(Path.Combine(git, "refs", "heads", "main"), sha1 + "\n");
        Directory.CreateDirectory(tmp.Sub("src/deep"));
        Assert.Equal(sha1, MnistCnn.Core.Diagnostics.GitInfo.Commit(tmp.Sub("src/deep")));

        File.Delete(Path.Combine(git, "refs", "heads", "main"));
        File.WriteAllText(Path.Combine(git, "packed-refs"), $"# pack-refs with: peeled\n{sha2} refs/heads/main\n");
        Assert.Equal(sha2, MnistCnn.Core.Diagnostics.GitInfo.Commit(tmp.Path));

        File.WriteAllText(Path.Combine(git, "HEAD"), sha3 + "\n");
        Assert.Equal(sha3, MnistCnn.Core.Diagnostics.GitInfo.Commit(tmp.Path));
    }

    [Fact]
    public void Params_FlattenOptionsAndLayers()
    {
        var run = Start("/tmp/x", options: new TrainingOptions { Epochs = 2, EarlyStoppingPatience = 3, ValidationSplit = 0.1 });
        var p = RunParameters.For(run).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("3", p["early_stopping_patience"]);
        Assert.Equal("0.1", p["validation_split"]);
        Assert.Equal("None", p["seed"]);
        Assert.Equal("auto", p["device_requested"]);
        Assert.Equal("true", p["shuffle"]);
        Assert.Equal("1E-07", p["epsilon"]);
        Assert.Equal("max_pooling2d", p["model.layers.1.type"]);
        Assert.Equal("10", p["model.classes"]);
        Assert.Equal("93322", p["model.parameters"]);
        Assert.DoesNotContain("output_path", p.Keys);
        Assert.Equal(p.Count, RunParameters.For(run).Count); // no key twice
        Assert.All(p.Keys, k => Assert.True(MlflowLimits.IsValidKey(k), k));
    }

    [SkippableFact]
    public async Task RealServer_RoundTrip_WhenConfigured()
    {
        string? uri = Environment.GetEnvironmentVariable("MNISTCNN_TEST_MLFLOW_URI");
        Skip.If(string.IsNullOrWhiteSpace(uri), "Set MNISTCNN_TEST_MLFLOW_URI (e.g. http://127.0.0.1:5000) to run against a real MLflow server.");
        using var tmp = new TempFolder();
        string experiment = "mnistcnn-tests-" + DateTime.UtcNow.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        var resolved = TrackingSettings.Resolve(uri, experiment);
        var settings = resolved with { RetryDelay = TimeSpan.FromMilliseconds(50), FlushTimeout = TimeSpan.FromSeconds(30) };
        var reporter = new RecordingReporter();
        var run = Start(tmp.Sub("real"));
        using (var tracker = new RunTracker(settings, reporter)) RunAll(tracker, run);
        Assert.Empty(reporter.Warnings);
        using (var publisher = new RunPublisher(settings, reporter))
        {
            var again = publisher.Publish(run.OutputPath!, force: true);
            Assert.Equal(0, again.MetricsSent + again.ParamsSent + again.ArtifactsSent);
        }
        var back = (await RunReader.FromServerAsync(settings, [experiment], $"tags.`mnistcnn.run_id` = '{run.RunId}'")).Single();
        Assert.Equal(RunStatus.Finished, back.Status);
        Assert.Equal(0.985, back.TestAccuracy);
        Assert.Equal("64", back.Params["batch_size"]);
    }
}
