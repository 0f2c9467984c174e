# Integration: training processes that race for, are killed in, and are stopped in one run folder.
# Each test starts real pwsh processes (the same PowerShell as the tests) running Integration/TrainingChild.ps1.
BeforeAll {
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-integration-$PID"
    $null = New-Item -ItemType Directory -Force $work
    $child = Join-Path $PSScriptRoot 'TrainingChild.ps1'

    # The PowerShell running these tests: pwsh itself, or dotnet with pwsh.dll (the repository's local tool).
    function Start-Child([string] $Folder, [string[]] $Arguments = @(), [string] $Name = 'child', [string] $Script = $child) {
        $exe = [Environment]::ProcessPath
        $prefix = @(if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { [Environment]::GetCommandLineArgs()[0] })
        $target = if ($Script -eq $child) { @('-Folder', $Folder) } else { @() }
        $all = @($prefix) + @('-NoProfile', '-NonInteractive', '-File', $Script) + $target + $Arguments
        Start-Process -FilePath $exe -ArgumentList $all -PassThru -RedirectStandardOutput (Join-Path $work "$Name.out") -RedirectStandardError (Join-Path $work "$Name.err")
    }

    function Wait-Until([scriptblock] $Condition, [int] $Seconds = 120, [string] $What = 'the condition') {
        $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $Seconds s waiting for $What." }
            Start-Sleep -Milliseconds 20
        }
    }

    function Get-Journal([string] $Folder) {
        @(Get-Content (Join-Path $Folder 'journal.jsonl') | ForEach-Object { $_ | ConvertFrom-Json })
    }

    function Get-LossSteps([string] $Folder) {
        @(Get-Journal $Folder | Where-Object type -eq 'metrics' | ForEach-Object { $_.metrics } | Where-Object key -eq 'loss' | ForEach-Object { [int]$_.step })
    }

    function Get-CheckpointEpochs([string] $Folder) {
        foreach ($f in 'checkpoint', 'checkpoint.old') {
            $state = Join-Path $Folder "$f/state.json"
            if (Test-Path $state) { try { return @((Get-Content -Raw $state | ConvertFrom-Json).epochs).Count } catch { } }
        }
        0
    }
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'One run folder, one writer' {
    It 'refuses a second writer with RunFolderInUse naming the process, and a kill -9 of that process never blocks the resume' {
        $folder = Join-Path $work 'two-writers'
        $first = Start-Child $folder @('-Epochs', '100000') -Name 'first'
        try {
            Wait-Until { (Get-CheckpointEpochs $folder) -ge 1 -or $first.HasExited } -What 'the first checkpoint'
            $first.HasExited | Should -BeFalse -Because (Get-Content -Raw (Join-Path $work 'first.err') -ErrorAction Ignore)
            $data = New-SyntheticDataset -TrainCount 256 -TestCount 32

            $err = $null
            try { $data | New-CnnModel | Start-CnnTraining -Epochs 1 -OutputPath $folder -NoReport; throw 'trained in a folder another process writes' }
            catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'RunFolderInUse,MnistCnn.Cmdlets.StartCnnTrainingCommand'
            "$($err.CategoryInfo.Category)" | Should -Be 'ResourceUnavailable'
            $err.Exception.Message | Should -BeLike "*process $($first.Id) on host $([Environment]::MachineName)*"

            { Start-CnnTraining -Dataset $data -ResumeFrom $folder -NoReport } | Should -Throw -ErrorId 'RunFolderInUse,MnistCnn.Cmdlets.StartCnnTrainingCommand'
        }
        finally {
            $first.Kill()   # SIGKILL: no chance to release anything
            $first.WaitForExit()
        }
        $done = Get-CheckpointEpochs $folder
        $resumed = Start-CnnTraining -Dataset $data -ResumeFrom $folder -Epochs ($done + 1) -Threads 1 -NoReport
        "$($resumed.Status)" | Should -Be 'Finished'
        $resumed.Epochs.Count | Should -Be ($done + 1)
        $resumed.Options.BatchSize | Should -Be 32
    }
}

Describe 'Stops and kills' {
    It 'SIGTERM stops a training pwsh within a batch: KILLED in result.json and the journal, a resume hint, and the run resumes' {
        $folder = Join-Path $work 'sigterm'
        $p = Start-Child $folder @('-Epochs', '100000') -Name 'sigterm'
        Wait-Until { (Get-CheckpointEpochs $folder) -ge 2 -or $p.HasExited } -What 'two checkpoints'
        $p.HasExited | Should -BeFalse -Because (Get-Content -Raw (Join-Path $work 'sigterm.err') -ErrorAction Ignore)
        & kill -TERM $p.Id
        $p.WaitForExit(60000) | Should -BeTrue -Because 'SIGTERM must end the process'
        $p.ExitCode | Should -Not -Be 0

        $result = Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json
        $result.status | Should -Be 'KILLED'
        $journal = Get-Journal $folder
        @($journal | Where-Object type -eq 'status')[-1].status | Should -Be 'KILLED'
        $stderr = Get-Content -Raw (Join-Path $work 'sigterm.err')
        $stderr | Should -BeLike "*TrainingStopped,MnistCnn.Cmdlets.StartCnnTrainingCommand: SIGTERM stopped the run. Training stopped after epoch * the checkpoint is kept in $folder/checkpoint. Resume with: Start-CnnTraining -ResumeFrom '$folder'*"

        $done = Get-CheckpointEpochs $folder
        $data = New-SyntheticDataset -TrainCount 256 -TestCount 32
        $resumed = Start-CnnTraining -Dataset $data -ResumeFrom $folder -Epochs ($done + 1) -Threads 1 -NoReport
        "$($resumed.Status)" | Should -Be 'Finished'
        (Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json).status | Should -Be 'FINISHED'
    }

    It 'SIGTERM ends a plain pwsh -File script, not only its statement: the lines after the training do not run, finally blocks do, and the exit code is 1' {
        $folder = Join-Path $work 'sigterm-plain'
        $p = Start-Child $folder -Script (Join-Path $PSScriptRoot 'PlainScriptChild.ps1') -Name 'sigterm-plain' -Arguments @('-Folder', $folder)
        Wait-Until { (Get-CheckpointEpochs $folder) -ge 1 -or $p.HasExited } -What 'a checkpoint'
        $p.HasExited | Should -BeFalse -Because (Get-Content -Raw (Join-Path $work 'sigterm-plain.err') -ErrorAction Ignore)
        & kill -TERM $p.Id
        $p.WaitForExit(60000) | Should -BeTrue -Because 'SIGTERM must end the process'
        $p.ExitCode | Should -Be 1
        (Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json).status | Should -Be 'KILLED'
        Join-Path $folder 'finally-ran' | Should -Exist
        Join-Path $folder 'next-statement-ran' | Should -Not -Exist
        Join-Path $folder 'script-went-on' | Should -Not -Exist
        # PowerShell's own error view (no trap here): the message may wrap, so only its start is matched.
        Get-Content -Raw (Join-Path $work 'sigterm-plain.err') | Should -Match 'SIGTERM stopped the run\.'
    }

    It 'kill -9 at random moments (10 times, inside checkpoint writes too), each followed by a resume, leaves exactly one journal entry per epoch' {
        $folder = Join-Path $work 'kill9'
        $epochs = 60
        $random = [Random]::new(20261126)
        $kills = 0
        $duringWrite = 0
        for ($i = 0; $i -lt 10; $i++) {
            $before = Get-CheckpointEpochs $folder
            $arguments = if ($before -gt 0 -or (Test-Path (Join-Path $folder 'checkpoint.old'))) { @('-Resume') } else { @('-Epochs', "$epochs") }
            $p = Start-Child $folder $arguments -Name "kill9-$i"
            # Wait until this attempt trains (a new epoch checkpointed), then kill at a random moment 0-120 ms later.
            Wait-Until { (Get-CheckpointEpochs $folder) -gt $before -or $p.HasExited } -What "attempt $i to train"
            $p.HasExited | Should -BeFalse -Because "attempt $i ended early: $(Get-Content -Raw (Join-Path $work "kill9-$i.err") -ErrorAction Ignore)"
            Start-Sleep -Milliseconds $random.Next(0, 120)
            $inWrite = (Test-Path (Join-Path $folder 'checkpoint.tmp')) -or (Test-Path (Join-Path $folder 'checkpoint.old'))
            $p.Kill()
            $p.WaitForExit()
            $kills++
            if ($inWrite) { $duringWrite++ }
        }
        $kills | Should -Be 10
        Write-Host "kill -9 loop: $kills kills, $duringWrite of them with a checkpoint write under way"

        $p = Start-Child $folder @('-Resume') -Name 'kill9-final'
        $p.WaitForExit(300000) | Should -BeTrue
        $p.ExitCode | Should -Be 0 -Because (Get-Content -Raw (Join-Path $work 'kill9-final.err') -ErrorAction Ignore)

        # One record per line, every line whole; each epoch's loss exactly once; the record agrees.
        foreach ($line in Get-Content (Join-Path $folder 'journal.jsonl')) { { $line | ConvertFrom-Json } | Should -Not -Throw }
        $steps = Get-LossSteps $folder
        ($steps | Sort-Object) -join ',' | Should -Be ((1..$epochs) -join ',')
        $result = Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json
        $result.status | Should -Be 'FINISHED'
        @($result.epochs).Count | Should -Be $epochs
        $run = Get-CnnRun -Path $folder
        $run.Epochs | Should -Be $epochs
        $run.Loss | Should -Be @($result.epochs)[-1].loss
        "$($run.Status)" | Should -Be 'FINISHED'
        Get-ChildItem $folder -Filter *.tmp -Recurse | Should -BeNullOrEmpty
    }
}

Describe 'Experiment trials' {
    It 'reports a second attempt of a trial running in another process as running, stops the first on SIGTERM, and resumes it' {
        $mnist = Get-MnistDirectory
        if (-not $mnist) { Set-ItResult -Skipped -Because 'no MNIST files: set MNIST_DATA_DIR or put them in ../shared/datasets/mnist'; return }
        $root = Join-Path $work 'experiments'
        $spec = Join-Path $work 'long-trial.yaml'
        @(
            'name: long-trial'
            "data: { path: '$mnist', trainSubset: 256, testSubset: 64 }"
            'training: { epochs: 100000, batchSize: 32, seed: 4 }'
            "outputs: { root: '$root', pictures: false }"
        ) | Set-Content $spec
        $folder = Join-Path $root 'long-trial/run'
        $experimentChild = Join-Path $PSScriptRoot 'ExperimentChild.ps1'

        $first = Start-Child '' @('-Spec', $spec) -Name 'trial-first' -Script $experimentChild
        try {
            Wait-Until { (Get-CheckpointEpochs $folder) -ge 1 -or $first.HasExited } -What 'the first attempt to checkpoint'
            $first.HasExited | Should -BeFalse -Because (Get-Content -Raw (Join-Path $work 'trial-first.err') -ErrorAction Ignore)

            # The scheduler's retry of the same trial, in its own process, while the first attempt trains.
            $second = Start-Child '' @('-Spec', $spec) -Name 'trial-second' -Script $experimentChild
            $second.WaitForExit(120000) | Should -BeTrue
            $out = Get-Content -Raw (Join-Path $work 'trial-second.out')
            $out | Should -Match 'status=Running'
            $out | Should -Match "process $($first.Id) on host"
            (Get-Content -Raw (Join-Path $folder 'experiment.json') | ConvertFrom-Json).status | Should -Be 'RUNNING'

            & kill -TERM $first.Id
            $first.WaitForExit(60000) | Should -BeTrue -Because 'SIGTERM must end the experiment'
            $first.ExitCode | Should -Not -Be 0
            Get-Content -Raw (Join-Path $work 'trial-first.err') | Should -BeLike '*TrainingStopped,MnistCnn.Cmdlets.InvokeCnnExperimentCommand: SIGTERM stopped*'
        }
        finally {
            if (-not $first.HasExited) { $first.Kill(); $first.WaitForExit() }
        }
        (Get-Content -Raw (Join-Path $folder 'experiment.json') | ConvertFrom-Json).status | Should -Be 'KILLED'
        (Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json).status | Should -Be 'KILLED'
        @(Get-Journal $folder | Where-Object type -eq 'status')[-1].status | Should -Be 'KILLED'
        $runId = (Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json).runId

        # The next attempt resumes the same run from its checkpoint (stopped again here: the spec never ends).
        $done = Get-CheckpointEpochs $folder
        $third = Start-Child '' @('-Spec', $spec) -Name 'trial-third' -Script $experimentChild
        try {
            Wait-Until { (Get-CheckpointEpochs $folder) -gt $done -or $third.HasExited } -What 'the resumed attempt to checkpoint'
            $third.HasExited | Should -BeFalse -Because (Get-Content -Raw (Join-Path $work 'trial-third.err') -ErrorAction Ignore)
            (Get-Content -Raw (Join-Path $folder 'experiment.json') | ConvertFrom-Json).resumed | Should -BeTrue
            (Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json).runId | Should -Be $runId
            & kill -TERM $third.Id
            $third.WaitForExit(60000) | Should -BeTrue
        }
        finally {
            if (-not $third.HasExited) { $third.Kill(); $third.WaitForExit() }
        }
        Get-ChildItem $root -Directory -Filter '*.replaced-*' -Recurse | Should -BeNullOrEmpty
        ($steps = Get-LossSteps $folder) | Should -Not -BeNullOrEmpty
        (@($steps | Sort-Object -Unique)).Count | Should -Be $steps.Count
    }
}
