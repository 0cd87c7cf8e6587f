# Every PowerShell file of the project parses with PowerShell's own parser, and deploy-windows.ps1 has the
# shape managed Run Command needs (moved here from the jest suite, which had only a hand-written reader).

BeforeDiscovery {
    $repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:PsFiles = @('scripts', 'infra', 'test/ps') | ForEach-Object {
        Get-ChildItem -LiteralPath (Join-Path $repo $_) -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1'
    } | ForEach-Object { @{ File = $_.FullName; Name = [System.IO.Path]::GetRelativePath($repo, $_.FullName) } }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Helpers.ps1')
    $script:Deploy = Join-Path $Repo 'scripts/deploy-windows.ps1'
    function script:Get-ParseErrors([string]$Path) {
        $tokens = $null
        $errors = $null
        [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors) | Out-Null
        return @($errors | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Message)" })
    }
}

Describe 'PowerShell files' {
    It 'include the Windows deploy script and both azd hooks' {
        $names = $PsFiles | ForEach-Object { $_.Name -replace '\\', '/' }
        foreach ($expected in 'scripts/deploy-windows.ps1', 'infra/hooks/preprovision.ps1', 'infra/hooks/postdeploy.ps1') {
            $names | Should -Contain $expected
        }
    }

    It '<Name> parses without errors' -ForEach $PsFiles {
        Get-ParseErrors $File | Should -Be @()
    }

    It 'the parser check catches the usual breakages' {
        $broken = Join-Path ([System.IO.Path]::GetTempPath()) "broken-$([guid]::NewGuid().ToString('N')).ps1"
        try {
            foreach ($source in 'if ($a) { "x" ', '$x = "open', 'foo(]', '<# help', "`$h = @`"`ntext`n") {
                Set-Content -LiteralPath $broken -Value $source -NoNewline
                Get-ParseErrors $broken | Should -Not -BeNullOrEmpty -Because "'$source' is broken"
            }
        }
        finally { Remove-Item -LiteralPath $broken -ErrorAction SilentlyContinue }
    }
}

Describe 'deploy-windows.ps1 has the shape managed Run Command needs' {
    BeforeAll {
        $tokens = $null
        $errors = $null
        $script:Ast = [System.Management.Automation.Language.Parser]::ParseFile($Deploy, [ref]$tokens, [ref]$errors)
        $script:Text = Get-Content -LiteralPath $Deploy -Raw
        $script:Help = $Text.Substring(0, $Text.IndexOf('#>'))
    }

    It 'declares its parameters in a script param block (Run Command passes them as named parameters)' {
        $Ast.ParamBlock | Should -Not -BeNullOrEmpty
        $Ast.ParamBlock.Parameters.Count | Should -BeGreaterThan 10
    }

    It 'falls back to the environment variable of each parameter, as deploy-linux.sh reads them' {
        foreach ($p in $Ast.ParamBlock.Parameters) {
            $name = $p.Name.VariablePath.UserPath
            $p.StaticType | Should -Be ([string])
            $p.DefaultValue.Extent.Text | Should -BeExactly "`$env:$name"
        }
    }

    It 'takes every parameter deploy-linux.sh documents, under the same name' {
        $linux = [regex]::Matches((Get-Content -LiteralPath (Join-Path $Repo 'scripts/deploy-linux.sh') -Raw), '(?m)^#\s{2,}([A-Z_]+)\s+(?:required|optional)\b') |
            ForEach-Object { $_.Groups[1].Value }
        $linux | Should -Contain 'VERSION'
        $declared = $Ast.ParamBlock.Parameters | ForEach-Object { $_.Name.VariablePath.UserPath }
        $linux | Where-Object { $_ -notin $declared } | Should -BeNullOrEmpty
    }

    It 'documents every parameter it declares' {
        foreach ($p in $Ast.ParamBlock.Parameters) {
            $Help | Should -Match "(?m)^\s+$($p.Name.VariablePath.UserPath)\s+(required|optional)"
        }
    }

    It 'never logs the artifact URL itself (it may carry a SAS): only $SAFE_URL' {
        $logged = $Ast.FindAll({
                param($node)
                $node -is [System.Management.Automation.Language.CommandAst] -and
                @('Write-Log', 'Stop-Deploy') -contains $node.GetCommandName()
            }, $true)
        @($logged).Count | Should -BeGreaterThan 20
        $logged | Where-Object { $_.Extent.Text -match '\$ARTIFACT_URL\b' } | Should -BeNullOrEmpty
    }
}

Describe 'examples/azure-pipelines.yml' {
    BeforeAll {
        # The PowerShell of each `- pwsh: |` step and each pscore `inlineScript: |`, without the YAML indentation.
        $lines = Get-Content -LiteralPath (Join-Path $Repo 'examples/azure-pipelines.yml')
        $script:Blocks = @()
        for ($i = 0; $i -lt $lines.Count; $i++) {
            $isPwsh = $lines[$i] -match '^\s*- pwsh: \|$'
            $isInline = $lines[$i] -match '^\s*inlineScript: \|$' -and ($lines[[Math]::Max(0, $i - 2)..$i] -match 'scriptType: pscore')
            if (-not ($isPwsh -or $isInline)) { continue }
            $indent = $null
            $body = @()
            for ($j = $i + 1; $j -lt $lines.Count; $j++) {
                if ($lines[$j].Trim() -eq '') { $body += ''; continue }
                $lead = $lines[$j].Length - $lines[$j].TrimStart().Length
                if ($null -eq $indent) { $indent = $lead }
                if ($lead -lt $indent) { break }
                $body += $lines[$j].Substring($indent)
            }
            # Azure Pipelines macros ($(name)) are replaced before PowerShell sees the script.
            $script:Blocks += , (($body -join "`n") -replace '\$\((Build\.[A-Za-z]+|packagePath|artifactsAccount|artifactsContainer)\)', 'x')
        }
    }

    It 'has the PowerShell steps that build and upload the Web Deploy package' {
        $Blocks.Count | Should -Be 2
        $Blocks[0] | Should -Match 'msdeploy'
        $Blocks[1] | Should -Match 'az storage blob upload'
    }

    It 'each PowerShell step parses without errors' {
        foreach ($block in $Blocks) {
            $tokens = $null
            $errors = $null
            [System.Management.Automation.Language.Parser]::ParseInput($block, [ref]$tokens, [ref]$errors) | Out-Null
            @($errors | ForEach-Object { $_.Message }) | Should -Be @()
        }
    }
}
