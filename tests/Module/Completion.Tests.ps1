# Tab completion: spec paths, run and model folders (with wildcards), experiment names and the keys of -Options @{.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    # A folder with a space in its name, as users' folders often have.
    $root = Join-Path $TestDrive 'completion root'
    $null = New-Item -ItemType Directory -Force "$root/runs/keras-a", "$root/runs/keras-b/checkpoint", "$root/runs/plain",
        "$root/models/m1", "$root/specs", "$root/elsewhere"
    '{}' | Set-Content "$root/runs/keras-a/result.json"
    '{"seq":1,"type":"run","run_id":"a","run_name":"keras-a","experiment":"vision tests","start_time":1}' | Set-Content "$root/runs/keras-a/journal.jsonl"
    '{"seq":1,"type":"run","run_id":"e","run_name":"e","experiment":"elsewhere-exp","start_time":1}' | Set-Content "$root/elsewhere/journal.jsonl"
    '{}' | Set-Content "$root/models/m1/model.json"
    'name: one' | Set-Content "$root/specs/one.yaml"
    'name: two' | Set-Content "$root/specs/two.yml"
    'not a spec' | Set-Content "$root/specs/notes.txt"
    function Get-Completion([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches)
    }
    $savedRunsDir = $env:MNISTCNN_RUNS_DIR
    $env:MNISTCNN_RUNS_DIR = $null
    Push-Location $root
}
AfterAll {
    Pop-Location
    $env:MNISTCNN_RUNS_DIR = $savedRunsDir
}

Describe 'Argument completion' {
    It 'completes spec paths of <Command> with *.yaml and *.yml files only' -ForEach @(@{ Command = 'Test-CnnExperiment' }, @{ Command = 'Invoke-CnnExperiment' }) {
        $names = (Get-Completion "$Command ./specs/").ListItemText
        $names | Should -Be 'one.yaml', 'two.yml'
    }

    It 'completes run folders for <Line>, run folders first' -ForEach @(
        @{ Line = 'Start-CnnTraining -ResumeFrom ./runs/' }, @{ Line = 'Get-CnnRun -Path ./runs/' }, @{ Line = 'Publish-CnnRun -Path ./runs/' }) {
        $found = Get-Completion $Line
        $found.ListItemText | Should -Be 'keras-a', 'keras-b', 'plain'
        $found.CompletionText[0] | Should -Be './runs/keras-a'
    }

    It 'expands wildcards in run folder paths' {
        (Get-Completion 'Get-CnnRun -Path runs/*-b').ListItemText | Should -Be 'keras-b'
        (Get-Completion 'Start-CnnTraining -ResumeFrom ./runs/k*').ListItemText | Should -Be 'keras-a', 'keras-b'
    }

    It 'quotes a completed path with a space in it' {
        Push-Location $TestDrive
        try { $found = Get-Completion 'Get-CnnRun -Path ./completion' }
        finally { Pop-Location }
        $found[0].CompletionText | Should -Be "'./completion root'"
    }

    It 'completes model folders for <Line>' -ForEach @(@{ Line = 'Invoke-CnnPredict -ModelPath ./models/' }, @{ Line = 'Import-CnnModel ./models/' }) {
        (Get-Completion $Line)[0].ListItemText | Should -Be 'm1'
    }

    It 'completes experiment names from the journals under ./runs and $env:MNISTCNN_RUNS_DIR, quoted when needed' {
        $found = Get-Completion 'Get-CnnRun -Experiment vis'
        $found.CompletionText | Should -Be "'vision tests'"
        @(Get-Completion 'Start-CnnTraining -Experiment else').Count | Should -Be 0
        $env:MNISTCNN_RUNS_DIR = Join-Path $root 'elsewhere'
        try { (Get-Completion 'Publish-CnnRun -Path . -Experiment else').CompletionText | Should -Be 'elsewhere-exp' }
        finally { $env:MNISTCNN_RUNS_DIR = $null }
    }

    It 'completes the keys of -Options @{ from the training options' {
        (Get-Completion 'Start-CnnTraining -Options @{ WeightD').CompletionText | Should -Be 'WeightDecay'
        $all = (Get-Completion 'Start-CnnTraining -Options @{ ').CompletionText
        $all | Should -Contain 'LabelSmoothing'
        $all | Should -Contain 'ScheduleGamma'
    }

    It 'offers exactly the writable TrainingOptions settings as -Options keys' {
        $settings = [MnistCnn.Core.Training.TrainingOptions].GetProperties() | Where-Object CanWrite | ForEach-Object Name | Sort-Object
        $keys = [MnistCnn.Cmdlets.TrainingOptionsTable].GetProperties() | Where-Object { $_.DeclaringType -eq [MnistCnn.Cmdlets.TrainingOptionsTable] } |
            ForEach-Object Name | Sort-Object
        $keys | Should -Be $settings
    }

    It 'still takes any hashtable or [ordered] dictionary for -Options, case-insensitively' {
        $data = New-SyntheticDataset -TrainCount 20 -TestCount 10
        $options = [ordered]@{ labelsmoothing = 0.1 }
        $run = $data | New-CnnModel | Start-CnnTraining -Epochs 1 -Threads 1 -NoReport -Options $options -OutputPath (Join-Path $TestDrive 'opt')
        $run.Options.LabelSmoothing | Should -Be 0.1
        $run.TrainedModel.Dispose()
    }
}
