# Run folders through the cmdlets: resume that restores the whole run, its errors, the default run name.
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
