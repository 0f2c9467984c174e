# Start-CnnTraining: its errors, -WhatIf, -Tag, Ctrl+C and -OnEpochEnd, progress, real MNIST; resume that restores the
# whole run and its errors; the default run name. (The pipeline it ends is in Training.Tests.ps1.)
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-runs-$PID"
    $null = New-Item -ItemType Directory -Force $work
    $data = New-SyntheticDataset -TrainCount 128 -TestCount 32
    $layers = @(
        New-CnnLayer Conv2D -Filters 4 -KernelSize 3
        New-CnnLayer MaxPool2D -PoolSize 2
        New-CnnLayer Flatten
        New-CnnLayer Dense -Units 10 -Activation softmax
    )
    $model = $data | New-CnnModel -Layers $layers -Name tiny

    function Get-FolderHash([string] $Folder) {
        (Get-ChildItem $Folder -Recurse -File | Sort-Object FullName | ForEach-Object { (Get-FileHash $_.FullName).Hash }) -join ','
    }
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'Start-CnnTraining -ResumeFrom' {
    BeforeAll {
        $folder = Join-Path $work 'adam'
        $first = $model | Start-CnnTraining -Epochs 1 -BatchSize 24 -Optimizer Adam -LearningRate 0.002 -ValidationSplit 0.25 `
            -Seed 9 -Threads 1 -OutputPath $folder -NoReport -Options @{ WeightDecay = 0.0001 }
    }

    It 'continues with every setting of the run without repeating them (only -Epochs grows it)' {
        $resumed = Start-CnnTraining -Dataset $data -ResumeFrom $folder -Epochs 2 -Threads 1 -NoReport -WarningVariable warnings
        "$($resumed.Status)" | Should -Be 'Finished'
        $resumed.RunId | Should -Be $first.RunId
        $resumed.Epochs.Count | Should -Be 2
        $resumed.Options.Optimizer | Should -Be 'Adam'
        $resumed.Options.LearningRate | Should -Be 0.002
        $resumed.Options.BatchSize | Should -Be 24
        $resumed.Options.ValidationSplit | Should -Be 0.25
        $resumed.Options.WeightDecay | Should -Be 0.0001
        $resumed.Options.Seed | Should -Be 9
        $resumed.Model.Name | Should -Be 'tiny'
        $resumed.Epochs[1].ValidationLoss | Should -Not -BeNullOrEmpty
        # Nothing the resume logs contradicts what the run logged first (params are write-once).
        @($warnings | Where-Object { "$_" -like '*already logged*' -and "$_" -notlike "*'epochs'*" }) | Should -BeNullOrEmpty
        $resumed.TrainedModel.Dispose()
    }

    It 'lists every differing setting in ResumeSettingsConflict and writes nothing' {
        $before = Get-FolderHash $folder
        $err = $null
        try { Start-CnnTraining -Dataset $data -ResumeFrom $folder -Epochs 3 -BatchSize 64 -Optimizer Sgd -NoReport; throw 'resumed with different settings' }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'ResumeSettingsConflict,MnistCnn.Cmdlets.StartCnnTrainingCommand'
        "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
        $err.Exception.Message | Should -BeLike '*(2)*BatchSize: the run used 24, now 64*Optimizer: the run used "adam", now "sgd"*'
        Get-FolderHash $folder | Should -Be $before
    }

    It 'compares -Options settings however their names are written' {
        { Start-CnnTraining -Dataset $data -ResumeFrom $folder -Options @{ weightdecay = 0.01 } -NoReport } |
            Should -Throw -ErrorId 'ResumeSettingsConflict,MnistCnn.Cmdlets.StartCnnTrainingCommand' -ExpectedMessage '*WeightDecay: the run used 0.0001, now 0.01*'
    }

    It 'refuses other data (a different subset) with ResumeSettingsConflict' {
        $other = New-SyntheticDataset -TrainCount 96 -TestCount 32
        { Start-CnnTraining -Dataset $other -ResumeFrom $folder -NoReport } |
            Should -Throw -ErrorId 'ResumeSettingsConflict,MnistCnn.Cmdlets.StartCnnTrainingCommand' -ExpectedMessage '*the data subset: the run had 128 training and 32 test images, now 96 and 32*'
    }

    It 'names a damaged checkpoint file in CheckpointInvalid and leaves the finished record as it was' {
        $damaged = Join-Path $work 'damaged'
        $model | Start-CnnTraining -Epochs 1 -Seed 2 -Threads 1 -OutputPath $damaged -NoReport | ForEach-Object { $_.TrainedModel.Dispose() }
        $weights = Join-Path $damaged 'checkpoint/weights.bin'
        [IO.File]::WriteAllBytes($weights, [byte[]](1..10))
        $before = Get-FolderHash $damaged
        $err = $null
        try { Start-CnnTraining -Dataset $data -ResumeFrom $damaged -Epochs 2 -NoReport; throw 'resumed from a damaged checkpoint' }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'CheckpointInvalid,MnistCnn.Cmdlets.StartCnnTrainingCommand'
        "$($err.CategoryInfo.Category)" | Should -Be 'InvalidData'
        $err.TargetObject | Should -Be $weights
        (Get-Content -Raw (Join-Path $damaged 'result.json') | ConvertFrom-Json).status | Should -Be 'FINISHED'
        Get-FolderHash $damaged | Should -Be $before
    }
}

Describe 'Run names' {
    It 'names a run after its model and its UTC start time' {
        $before = [DateTime]::UtcNow.AddSeconds(-1)
        $run = $model | Start-CnnTraining -Epochs 1 -Threads 1 -NoReport
        $after = [DateTime]::UtcNow.AddSeconds(1)
        $run.RunName | Should -Match '^tiny-\d{8}-\d{6}$'
        $stamp = [DateTime]::ParseExact($run.RunName.Substring(5), 'yyyyMMdd-HHmmss', [Globalization.CultureInfo]::InvariantCulture)
        $stamp | Should -BeGreaterOrEqual $before.AddTicks(-($before.Ticks % [TimeSpan]::TicksPerSecond))
        $stamp | Should -BeLessOrEqual $after
        $run.TrainedModel.Dispose()
    }
}

Describe 'Start-CnnTraining' {
    It 'fails with DatasetRequired when there is no data' {
        { New-CnnModel | Start-CnnTraining -Epochs 1 } | Should -Throw -ErrorId 'DatasetRequired,MnistCnn.Cmdlets.StartCnnTrainingCommand'
    }

    It 'fails with UnknownTrainingOption for a misspelt -Options key' {
        $data = New-SyntheticDataset -TrainCount 20 -TestCount 10
        { $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Options @{ WeightDecy = 0.1 } } |
            Should -Throw -ErrorId 'UnknownTrainingOption,MnistCnn.Cmdlets.StartCnnTrainingCommand'
    }

    It 'words a bad -Options value with the way it was given (TrainingOptionsInvalid), before training' {
        $data = New-SyntheticDataset -TrainCount 20 -TestCount 10
        $folder = Join-Path $work 'badrho'
        $err = $null
        try { $data | New-CnnModel | Start-CnnTraining -Epochs 1 -OutputPath $folder -Options @{ Rho = 2; momentum = -0.5 } } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'TrainingOptionsInvalid,MnistCnn.Cmdlets.StartCnnTrainingCommand'
        $err.Exception.Message | Should -BeLike '*-Options Rho must be in (0, 1) (got 2).*'
        $err.Exception.Message | Should -BeLike '*-Options Momentum must be in `[0, 1) (got -0.5).*'
        $err.Exception.Message | Should -Not -BeLike '*training.rho*'
        Test-Path $folder | Should -BeFalse
        $bad = [MnistCnn.Core.Training.AugmentationOptions]::new(0.1, 200, 0.1, 0, 4)
        { $data | New-CnnModel | Start-CnnTraining -Epochs 1 -NoReport -Options @{ Augmentation = $bad } } |
            Should -Throw -ExpectedMessage '*-Options Augmentation.Rotation must be in `[0, 180] degrees (got 200).*'
    }

    It 'has every parameter the settings catalog names' {
        $parameters = (Get-Command Start-CnnTraining).Parameters.Keys
        $named = [MnistCnn.Core.Training.Settings.TrainingSettingsCatalog]::All | Where-Object Parameter | ForEach-Object Parameter
        $named.Count | Should -BeGreaterThan 5
        foreach ($p in $named) { $parameters | Should -Contain $p }
    }

    It 'refuses an -OutputPath holding a finished run with RunFolderNotEmpty, touching nothing; -Force moves it aside' {
        $data = New-SyntheticDataset -TrainCount 64 -TestCount 16
        $folder = Join-Path $work 'taken'
        $first = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 1 -NoReport -OutputPath $folder
        $first.TrainedModel.Dispose()
        $before = Get-ChildItem -Recurse -File $folder | Where-Object Name -NotLike '.lock*' | ForEach-Object { '{0} {1}' -f $_.FullName, (Get-FileHash $_.FullName).Hash }

        $err = $null
        try { $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 2 -Threads 1 -NoReport -OutputPath $folder } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'RunFolderNotEmpty,MnistCnn.Cmdlets.StartCnnTrainingCommand'
        "$($err.CategoryInfo.Category)" | Should -Be 'ResourceExists'
        $err.Exception.Message | Should -BeLike "*already holds run '$($first.RunName)' (finished)*-ResumeFrom*another -OutputPath*-Force*"
        $after = Get-ChildItem -Recurse -File $folder | Where-Object Name -NotLike '.lock*' | ForEach-Object { '{0} {1}' -f $_.FullName, (Get-FileHash $_.FullName).Hash }
        $after | Should -Be $before

        $second = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 2 -Threads 1 -NoReport -OutputPath $folder -Force -WarningVariable warn -WarningAction SilentlyContinue
        $second.TrainedModel.Dispose()
        $second.RunId | Should -Not -Be $first.RunId
        "$warn" | Should -BeLike "*held an earlier run (-Force); it was moved to $folder.replaced-*"
        $aside = @(Get-ChildItem -Directory "$folder.replaced-*")
        $aside.Count | Should -Be 1
        (Get-Content -Raw (Join-Path $aside[0] 'result.json') | ConvertFrom-Json).runId | Should -Be $first.RunId
        (Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json).runId | Should -Be $second.RunId
    }

    It 'fails with TagInvalid for a tag key MLflow would refuse, before training' {
        $folder = Join-Path $work 'badtag'
        $data = New-SyntheticDataset -TrainCount 20 -TestCount 10
        { $data | New-CnnModel | Start-CnnTraining -Epochs 1 -OutputPath $folder -Tag @{ 'bad#key' = 1 } } |
            Should -Throw -ErrorId 'TagInvalid,MnistCnn.Cmdlets.StartCnnTrainingCommand'
        $folder | Should -Not -Exist
    }

    It 'stops on Ctrl+C keeping the last checkpoint, records KILLED, and resumes from it' {
        # Ctrl+C is PowerShell.Stop() on the running pipeline: train in a second runspace and stop it there.
        $folder = Join-Path $work 'stopped'
        $data = New-SyntheticDataset -TrainCount 2000 -TestCount 50
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($Module, $Data, $Folder)
                Import-Module $Module
                $Data | New-CnnModel | Start-CnnTraining -Epochs 200 -BatchSize 16 -Seed 3 -Threads 1 -OutputPath $Folder -NoReport
            }).AddArgument((Join-Path $ModulePath 'MnistCnn.psd1')).AddArgument($data).AddArgument($folder)
            $async = $ps.BeginInvoke()
            $state = Join-Path $folder 'checkpoint/state.json'
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            while (-not (Test-Path $state) -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            # Read the error stream only once the run is over: enumerating an open PSDataCollection blocks until it closes.
            if ($async.IsCompleted) { throw "The training ended before it could be stopped: $($ps.Streams.Error | Out-String)" }
            $state | Should -Exist
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally {
            $ps.Dispose()
        }

        $result = Get-Content -Raw (Join-Path $folder 'result.json') | ConvertFrom-Json
        $result.status | Should -Be 'KILLED'
        $saved = Get-Content -Raw $state | ConvertFrom-Json
        $completed = @($saved.epochs).Count
        $completed | Should -BeGreaterOrEqual 1
        $completed | Should -BeLessThan 200

        $resumed = $data | New-CnnModel | Start-CnnTraining -ResumeFrom $folder -Epochs ($completed + 1) -Threads 1 -NoReport
        "$($resumed.Status)" | Should -Be 'Finished'
        $resumed.Epochs.Count | Should -Be ($completed + 1)
    }

    It 'runs -OnEpochEnd on the pipeline thread after each epoch and stops when it outputs $false' {
        $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
        $seen = [Collections.Generic.List[object]]::new()
        $pipelineThread = [Threading.Thread]::CurrentThread.ManagedThreadId
        $run = $data | New-CnnModel | Start-CnnTraining -Epochs 10 -Seed 1 -Threads 1 -NoReport -OutputPath (Join-Path $work 'on-epoch-end') -OnEpochEnd {
            param($epoch)
            $seen.Add([pscustomobject]@{ Epoch = $epoch.Epoch; Same = [object]::ReferenceEquals($epoch, $_); Thread = [Threading.Thread]::CurrentThread.ManagedThreadId })
            'ignored output'
            $epoch.Epoch -lt 3
        }
        $run | Should -BeOfType MnistCnn.Core.Training.TrainingResult
        "$($run.Status)" | Should -Be 'Finished'
        $run.Epochs.Count | Should -Be 3
        $run.TestAccuracy | Should -Not -BeNullOrEmpty
        Join-Path $run.OutputPath 'model' | Should -Exist
        $seen.Epoch | Should -Be 1, 2, 3
        $seen.Same | Should -Not -Contain $false
        # The training runs on a worker thread; the block on the pipeline thread, where PowerShell lets it run.
        @($seen.Thread | Select-Object -Unique) | Should -Be $pipelineThread
    }

    It 'reports a failing -OnEpochEnd as OnEpochEndFailed and goes on training' {
        $data = New-SyntheticDataset -TrainCount 64 -TestCount 32
        $run = $data | New-CnnModel | Start-CnnTraining -Epochs 2 -Seed 1 -Threads 1 -NoReport -OutputPath (Join-Path $work 'on-epoch-end-fails') `
            -OnEpochEnd { throw "no mail server" } -ErrorVariable failures -ErrorAction SilentlyContinue
        "$($run.Status)" | Should -Be 'Finished'
        $run.Epochs.Count | Should -Be 2
        $failures.Count | Should -Be 2
        $failures[0].FullyQualifiedErrorId | Should -Be 'OnEpochEndFailed,MnistCnn.Cmdlets.StartCnnTrainingCommand'
        "$($failures[0])" | Should -Match 'OnEpochEnd failed after epoch 1: no mail server'
    }

    It 'shows one progress bar for the run, with time remaining, that fits an 80-column console' {
        # Progress records cannot be redirected; a second runspace's Progress stream collects them.
        $data = New-SyntheticDataset -TrainCount 1024 -TestCount 32
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($Module, $Data, $Folder)
                Import-Module $Module
                $Data | New-CnnModel | Start-CnnTraining -Epochs 3 -BatchSize 16 -Seed 1 -Threads 1 -NoReport -OutputPath $Folder
            }).AddArgument((Join-Path $ModulePath 'MnistCnn.psd1')).AddArgument($data).AddArgument((Join-Path $work 'progress'))
            $null = $ps.Invoke()
            $records = @($ps.Streams.Progress | Where-Object Activity -eq 'Training')
        }
        finally { $ps.Dispose() }
        $running = @($records | Where-Object RecordType -eq 'Processing')
        $running.Count | Should -BeGreaterThan 2
        # 64 batches an epoch: the last update of each epoch is reported.
        $running.StatusDescription | ForEach-Object { $_ | Should -Match '^epoch [1-3]/3 batch \d+/64 loss \d\.\d{4} acc \d+\.\d ?%$' }
        @($running.StatusDescription | Where-Object { $_ -match '^epoch 3/3 batch 64/64 loss \d\.\d{4} acc \d+\.\d ?%$' }).Count | Should -Be 1
        foreach ($record in $running) {
            # Activity, the status in its bar and "hh:mm:ss remaining" on one 80-column line, with 8 for brackets and gaps.
            ($record.Activity.Length + $record.StatusDescription.Length + ' 00:00:00 remaining'.Length + 8) | Should -BeLessOrEqual 80
            $record.SecondsRemaining | Should -BeGreaterOrEqual 0
        }
        # The run's bar: percentages only grow, time remaining is counted down to the end of the last epoch.
        $percents = $running.PercentComplete
        $percents | Should -Be ($percents | Sort-Object)
        $percents[-1] | Should -Be 100
        ($running | Where-Object StatusDescription -like 'epoch 1/3*' | Select-Object -First 1).SecondsRemaining |
            Should -BeGreaterThan ($running[-1].SecondsRemaining)
        $running[-1].SecondsRemaining | Should -Be 0
        @($records | Where-Object RecordType -eq 'Completed').Count | Should -Be 1
    }

    It 'writes nothing with -WhatIf' {
        $folder = Join-Path $work 'whatif'
        $data = New-SyntheticDataset -TrainCount 20 -TestCount 10
        $result = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -OutputPath $folder -WhatIf
        $result | Should -BeNullOrEmpty
        $folder | Should -Not -Exist
    }

    It 'trains on real MNIST (a 2,000-image subset, one epoch)' {
        $dir = Get-MnistDirectory
        if (-not $dir) { Set-ItResult -Skipped -Because 'no MNIST files: set MNIST_DATA_DIR or put them in ../shared/datasets/mnist'; return }
        $data = Import-MnistData -Path $dir -TrainCount 2000 -TestCount 500 -NoDownload
        $data.Train.Count | Should -Be 2000
        $data.Test.Shape | Should -Be '500x28x28'
        $run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Seed 1 -Threads 2
        "$($run.Status)" | Should -Be 'Finished'
        $run.TestAccuracy | Should -BeGreaterThan 0.6
    }
}
