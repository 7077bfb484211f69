# The help contract: platyPS markdown (../shared/reference/<Command>.help.md) parsed into the
# parts the tests compare with the module's help.

# Whitespace collapsed to single spaces, trimmed.
function ConvertTo-NtNormalText {
    [OutputType([string])]
    param([Parameter(Position = 0)] [AllowNull()] [string] $Text)
    if ($null -eq $Text) { return '' }
    ([regex]::Replace($Text, '\s+', ' ')).Trim()
}

# A help file's syntax line as Get-Command shows it: ProgressAction is a common parameter since
# PowerShell 7.4 (folded into [<CommonParameters>]), platyPS wrote it out. Whitespace collapsed.
function ConvertTo-NtHelpSyntax {
    [OutputType([string])]
    param([Parameter(Mandatory, Position = 0)] [AllowEmptyString()] [string] $Syntax)
    ConvertTo-NtNormalText $Syntax.Replace('[-ProgressAction <ActionPreference>]', '')
}

# The items sorted by ordinal comparison (Sort-Object compares culture-aware), as one array.
function ConvertTo-NtOrdinalOrder {
    param([Parameter(Position = 0)] [AllowEmptyCollection()] [string[]] $Items)
    $copy = [string[]]@($Items)
    [array]::Sort($copy, [System.StringComparer]::Ordinal)
    , $copy
}

function Get-NtHelpSection {
    param([string[]] $Lines, [string] $Name)
    $start = [array]::FindIndex($Lines, [Predicate[string]] { param($l) $l.Trim() -eq "## $Name" })
    if ($start -lt 0) { return , @() }
    $section = [System.Collections.Generic.List[string]]::new()
    for ($i = $start + 1; $i -lt $Lines.Count -and -not $Lines[$i].StartsWith('## '); $i++) { $section.Add($Lines[$i]) }
    , $section.ToArray()
}

# The lines of the fenced block opening at $Lines[$Index], and the index of its closing fence.
function Read-NtFencedBlock {
    param([string[]] $Lines, [int] $Index)
    $block = [System.Collections.Generic.List[string]]::new()
    for ($i = $Index + 1; $i -lt $Lines.Count -and -not $Lines[$i].StartsWith('```'); $i++) { $block.Add($Lines[$i]) }
    [pscustomobject]@{ Lines = $block.ToArray(); End = $i }
}

function Join-NtHelpText {
    param([string[]] $Lines)
    ConvertTo-NtNormalText (@($Lines | Where-Object { $_ -and $_.Trim() }) -join ' ')
}

<#
.SYNOPSIS
The parts of a reference help file the tests compare the module with: Synopsis, Description,
Syntax (SetName, IsDefault, Syntax per SYNTAX block), Examples (Title, Code, Remarks),
Parameters (Name, Description, Blocks: one hashtable per yaml block; ProgressAction left out),
Outputs (the ### lines) and Links (URLs).
#>
function Get-NtHelpFile {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] [string] $Command)
    $path = Get-NtReferenceHelpPath $Command
    if (-not [System.IO.File]::Exists($path)) { throw "The reference help file $path is missing (shared/reference beside the repository)." }
    $lines = [System.IO.File]::ReadAllLines($path)

    $syntax = [System.Collections.Generic.List[object]]::new()
    $section = Get-NtHelpSection $lines 'SYNTAX'
    $heading = ''
    for ($i = 0; $i -lt $section.Count; $i++) {
        if ($section[$i].StartsWith('### ')) { $heading = $section[$i].Substring(4).Trim() }
        elseif ($section[$i].StartsWith('```')) {
            $block = Read-NtFencedBlock $section $i
            $i = $block.End
            $syntax.Add([pscustomobject]@{
                    SetName   = $heading.Replace('(Default)', '').Trim()
                    IsDefault = $heading.EndsWith('(Default)')
                    Syntax    = $block.Lines -join ' '
                })
        }
    }

    $examples = [System.Collections.Generic.List[object]]::new()
    $section = Get-NtHelpSection $lines 'EXAMPLES'
    for ($i = 0; $i -lt $section.Count; $i++) {
        if (-not $section[$i].StartsWith('### ')) { continue }
        $title = $section[$i].Substring(4).Trim()
        $j = $i + 1
        while ($j -lt $section.Count -and -not $section[$j].StartsWith('```')) { $j++ }
        $block = Read-NtFencedBlock $section $j
        $remarks = [System.Collections.Generic.List[string]]::new()
        for ($j = $block.End + 1; $j -lt $section.Count -and -not $section[$j].StartsWith('### '); $j++) { $remarks.Add($section[$j]) }
        $examples.Add([pscustomobject]@{ Title = $title; Code = ($block.Lines -join "`n").Trim(); Remarks = Join-NtHelpText $remarks.ToArray() })
        $i = $j - 1
    }

    $parameters = [System.Collections.Generic.List[object]]::new()
    $section = Get-NtHelpSection $lines 'PARAMETERS'
    for ($i = 0; $i -lt $section.Count; $i++) {
        if (-not $section[$i].StartsWith('### -')) { continue }
        $name = $section[$i].Substring(5).Trim()
        $description = [System.Collections.Generic.List[string]]::new()
        $blocks = [System.Collections.Generic.List[hashtable]]::new()
        for ($j = $i + 1; $j -lt $section.Count -and -not $section[$j].StartsWith('### '); $j++) {
            if ($section[$j].StartsWith('```')) {
                $block = Read-NtFencedBlock $section $j
                $j = $block.End
                $yaml = @{}
                foreach ($line in $block.Lines) {
                    $colon = $line.IndexOf(':')
                    if ($colon -gt 0) { $yaml[$line.Substring(0, $colon).Trim()] = $line.Substring($colon + 1).Trim() }
                }
                $blocks.Add($yaml)
            }
            elseif ($blocks.Count -eq 0) { $description.Add($section[$j]) }
        }
        if ($name -ne 'ProgressAction') {
            $parameters.Add([pscustomobject]@{ Name = $name; Description = Join-NtHelpText $description.ToArray(); Blocks = $blocks.ToArray() })
        }
        $i = $j - 1
    }

    [pscustomobject]@{
        Command     = $Command
        Synopsis    = Join-NtHelpText (Get-NtHelpSection $lines 'SYNOPSIS')
        Description = Join-NtHelpText (Get-NtHelpSection $lines 'DESCRIPTION')
        Syntax      = $syntax.ToArray()
        Examples    = $examples.ToArray()
        Parameters  = $parameters.ToArray()
        Outputs     = @(Get-NtHelpSection $lines 'OUTPUTS' | Where-Object { $_.StartsWith('###') } | ForEach-Object { $_.TrimStart('#').Trim() })
        Links       = @(Get-NtHelpSection $lines 'RELATED LINKS' | ForEach-Object { [regex]::Matches($_, '\((https?://[^)\s]+)\)') } | ForEach-Object { $_.Groups[1].Value })
    }
}
