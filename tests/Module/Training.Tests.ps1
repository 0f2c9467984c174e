# The lead's pipeline end to end in PowerShell: data -> model -> training -> prediction -> save/load, on small data.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    $work = Join-Path ([IO.Path]::GetTempPath()) "mnistcnn-pester-$PID"
    $null = New-Item -ItemType Directory -Force $work
}
AfterAll { Remove-Item -Recurse -Force $work -ErrorAction Ignore }

Describe 'Import-MnistData | New-CnnModel | Start-CnnTraining' {
    Context 'on synthetic data' {
        BeforeAll {
            $data = New-SyntheticDataset -TrainCount 256 -TestCount 64
            $run = $data | New-CnnModel | Start-CnnTraining -Epochs 2 -Seed 7 -Threads 2 -Optimizer Adam -InformationVariable info -Tag @{ team = 'vision'; round = 3 }
        }

        It 'records -Tag values as run tags in the journal' {
            $events = Get-Content (Join-Path $run.OutputPath 'journal.jsonl') | ForEach-Object { $_ | ConvertFrom-Json }
            $tags = @($events | Where-Object type -eq 'tags')[0].tags
            $tags.team | Should -Be 'vision'
            $tags.round | Should -Be '3'
            $tags.'mlflow.runName' | Should -Be $run.RunName
        }

        It 'returns a finished TrainingResult with one record per epoch' {
            $run | Should -BeOfType MnistCnn.Core.Training.TrainingResult
            "$($run.Status)" | Should -Be 'Finished'
            $run.Epochs.Count | Should -Be 2
            $run.Epochs[1].Epoch | Should -Be 2
        }

        It 'learns the synthetic task (test accuracy well above chance)' {
            $run.TestAccuracy | Should -BeGreaterThan 0.5
        }

        It 'writes each epoch as an information record tagged MnistCnn.Epoch' {
            $epochs = @($info | Where-Object { $_.Tags -contains 'MnistCnn.Epoch' })
            $epochs.Count | Should -Be 2
            $epochs[0].MessageData | Should -BeOfType MnistCnn.Core.Training.EpochResult
        }

        It 'predicts the test split of the dataset it was trained on' {
            $predictions = @($run | Invoke-CnnPredict -Dataset $data -Index 0, 1, 2)
            $predictions.Count | Should -Be 3
            $predictions[0].Actual | Should -Be $data.Test.Labels[0]
            $predictions | ForEach-Object { $_.Top.Count | Should -Be 3 }
        }

        It 'saves the model and loads it back with the same predictions' {
            $folder = Join-Path $work 'saved'
            $run.TrainedModel | Save-CnnModel $folder
            Join-Path $folder 'model.json' | Should -Exist
            $loaded = Import-CnnModel $folder
            $loaded | Should -BeOfType MnistCnn.Core.Models.TrainedModel
            $before = @(Invoke-CnnPredict -Model $run.TrainedModel -Dataset $data).Label
            $after = @(Invoke-CnnPredict -Model $loaded -Dataset $data).Label
            $after | Should -Be $before
        }

        It 'saves a run piped from Start-CnnTraining (its TrainedModel)' {
            $folder = Join-Path $work 'saved-from-run'
            $run | Save-CnnModel $folder
            Join-Path $folder 'model.json' | Should -Exist
        }

        It 'refuses to overwrite a saved model without -Force (ModelFolderExists)' {
            $folder = Join-Path $work 'saved-twice'
            $run.TrainedModel | Save-CnnModel $folder
            { $run.TrainedModel | Save-CnnModel $folder } | Should -Throw -ErrorId 'ModelFolderExists,MnistCnn.Cmdlets.SaveCnnModelCommand'
            { $run.TrainedModel | Save-CnnModel $folder -Force } | Should -Not -Throw
        }

        It 'predicts an image file (SkiaSharp natives load from the module folder)' {
            # A 28x28 24-bit BMP, written by hand: black with a white bar, light on dark like MNIST.
            $bmp = Join-Path $work 'bar.bmp'
            $rowBytes = 28 * 3 + ((4 - (28 * 3) % 4) % 4)
            $pixels = [byte[]]::new($rowBytes * 28)
            for ($x = 2; $x -lt 26; $x++) { for ($c = 0; $c -lt 3; $c++) { $pixels[(13 * $rowBytes) + ($x * 3) + $c] = 255 } }
            $header = [IO.MemoryStream]::new()
            $w = [IO.BinaryWriter]::new($header)
            $w.Write([byte[]][char[]]'BM'); $w.Write([int](54 + $pixels.Length)); $w.Write([int]0); $w.Write([int]54)
            $w.Write([int]40); $w.Write([int]28); $w.Write([int]28); $w.Write([int16]1); $w.Write([int16]24)
            $w.Write([int]0); $w.Write([int]$pixels.Length); $w.Write([int]2835); $w.Write([int]2835); $w.Write([int]0); $w.Write([int]0)
            $w.Write($pixels); $w.Flush()
            [IO.File]::WriteAllBytes($bmp, $header.ToArray())
            $prediction = $run | Invoke-CnnPredict -Path $bmp
            $prediction.Source | Should -Be $bmp
            $prediction.Label | Should -BeIn (0..9)
            $prediction.Confidence | Should -BeGreaterThan 0
        }
    }

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

Describe 'Import-MnistData errors' {
    It 'fails with a stable id for a folder without the files' {
        $empty = Join-Path $work 'empty'
        $null = New-Item -ItemType Directory -Force $empty
        $err = { Import-MnistData -Path $empty -NoDownload } | Should -Throw -PassThru
        $err.FullyQualifiedErrorId | Should -Match '^(DataFileMissing|DataUnavailable),MnistCnn\.Cmdlets\.ImportMnistDataCommand$'
    }
}
