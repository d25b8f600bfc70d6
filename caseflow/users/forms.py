from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from caseflow.users import totp
from caseflow.users.passwords import MAX_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    login = StringField("ログインID", validators=[DataRequired("ログインIDを入力してください。"), Length(max=64)])
    password = PasswordField("パスワード", validators=[DataRequired("パスワードを入力してください。"),
                                                     Length(max=MAX_PASSWORD_LENGTH)])


class CodeForm(FlaskForm):
    # Six digits, perhaps split in two by a space as authenticator apps show them (the page's maxlength).
    code = StringField("確認コード（6桁）", render_kw={"maxlength": totp.DIGITS + 1}, validators=[
        DataRequired("確認コードを入力してください。"),
        Regexp(r"^ *[0-9]{3} ?[0-9]{3} *\Z", message="確認コードは半角数字6桁で入力してください。"),
    ])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("現在のパスワード", validators=[DataRequired("現在のパスワードを入力してください。"),
                                                             Length(max=MAX_PASSWORD_LENGTH)])
    # The length and other rules are checked by the operation, with their own messages.
    new_password = PasswordField("新しいパスワード", validators=[DataRequired("新しいパスワードを入力してください。")])
    confirm_password = PasswordField("新しいパスワード（確認）", validators=[
        DataRequired("確認のため、新しいパスワードをもう一度入力してください。"),
        EqualTo("new_password", message="確認のために入力したパスワードが一致しません。"),
    ])
