

def $name($parameters, *, validate=True):
    r"""$summary

    .. math:: $latex

    Printed from the derivation ``$derivation`` ($ops operations).
    """
    $unpack = _arrays(validate, ($positive), $keywords)
$body
    return _result($output)
